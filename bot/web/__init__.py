"""The web dashboard's HTTP wiring (aiohttp.web and Jinja2); what its pages show is facilitation.dashboard."""
