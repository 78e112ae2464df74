from aiohttp import web

from acs.services import Services

SERVICES = web.AppKey("services", Services)
