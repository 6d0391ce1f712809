"""Kibana side of the test harness: the published Detections API contract and a local stand-in.

No Kibana can run in the tests, so `openapi` checks request bodies against Kibana's own
OpenAPI description and `standin` serves the endpoints Logward's deployer talks to.
"""
