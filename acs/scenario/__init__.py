"""The scenario runner (``acs scenario run``): YAML scenarios of AReqs, challenges and
expectations, run against an in-process ACS or any URL, with a summary table and JUnit XML."""
