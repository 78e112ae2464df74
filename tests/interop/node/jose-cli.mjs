#!/usr/bin/env node
// An independent JOSE check for the interop tests: npm `jose` under Node, knowing nothing of EMV.
// Reads one JSON request on stdin, prints one JSON answer on stdout; exit 1 (message on stderr)
// when jose refuses the input, 2 on a usage error.
//
//   decrypt  {"jwe": "<compact JWE>", "key_hex": "<the alg=dir key>"}
//            -> {"protectedHeader": {...}, "plaintext": "<UTF-8 text>"}
//   verify   {"jws": "<compact JWS with x5c>", "roots_pem": ["-----BEGIN CERTIFICATE-----..."],
//             "algorithms": ["PS256", "ES256"]}
//            -> {"protectedHeader": {...}, "payload": "<UTF-8 text>", "chain": "verified" | "not checked"}
//            The signature is checked with x5c[0]; with roots_pem the x5c chain must also lead,
//            certificate by certificate (issuer, signature, CA flag, validity), to one of them.
import { X509Certificate } from "node:crypto";
import { compactDecrypt, compactVerify, decodeProtectedHeader, importX509 } from "jose";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

function pem(b64der) {
  const lines = b64der.match(/.{1,64}/g).join("\n");
  return `-----BEGIN CERTIFICATE-----\n${lines}\n-----END CERTIFICATE-----\n`;
}

async function decrypt(request) {
  const key = Uint8Array.from(Buffer.from(request.key_hex, "hex"));
  const { plaintext, protectedHeader } = await compactDecrypt(request.jwe, key);
  return { protectedHeader, plaintext: new TextDecoder().decode(plaintext) };
}

function checkChain(x5c, rootsPem) {
  const now = new Date();
  const certs = x5c.map((b64) => new X509Certificate(Buffer.from(b64, "base64")));
  const roots = rootsPem.map((text) => new X509Certificate(text));
  const valid = (cert) => new Date(cert.validFrom) <= now && now <= new Date(cert.validTo);
  const issuedBy = (cert, issuer) =>
    issuer.ca && cert.checkIssued(issuer) && cert.verify(issuer.publicKey) && valid(issuer);
  certs.forEach((cert, i) => {
    if (!valid(cert)) throw new Error(`x5c[${i}] is outside its validity period`);
    if (i + 1 < certs.length && !issuedBy(cert, certs[i + 1])) {
      throw new Error(`x5c[${i}] is not issued by x5c[${i + 1}]`);
    }
  });
  const last = certs[certs.length - 1];
  const anchored = roots.some(
    (root) => root.fingerprint256 === last.fingerprint256 || issuedBy(last, root),
  );
  if (!anchored) throw new Error("the x5c chain does not lead to any of the given roots");
}

async function verify(request) {
  const header = decodeProtectedHeader(request.jws);
  if (!Array.isArray(header.x5c) || header.x5c.length === 0) {
    throw new Error("JWS protected header has no x5c");
  }
  const algorithms = request.algorithms ?? ["PS256", "ES256"];
  const { payload, protectedHeader } = await compactVerify(
    request.jws,
    (h) => importX509(pem(h.x5c[0]), h.alg),
    { algorithms },
  );
  let chain = "not checked";
  if (request.roots_pem) {
    checkChain(header.x5c, request.roots_pem);
    chain = "verified";
  }
  return { protectedHeader, payload: new TextDecoder().decode(payload), chain };
}

const commands = { decrypt, verify };
const command = commands[process.argv[2]];
if (command === undefined) {
  process.stderr.write(`usage: jose-cli.mjs ${Object.keys(commands).join("|")} < request.json\n`);
  process.exit(2);
}
try {
  const answer = await command(await readStdin());
  process.stdout.write(`${JSON.stringify(answer)}\n`);
} catch (error) {
  process.stderr.write(`${error.code ?? error.name}: ${error.message}\n`);
  process.exit(1);
}
