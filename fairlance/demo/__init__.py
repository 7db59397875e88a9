"""Demo data for ``fairlance demo``: people, calendars and a catalog that feel real.

``data`` holds the content as plain values; ``load.demo_load()`` feeds it through the
same domain functions the web and API use, so the demo never contains anything the
application itself could not have produced.
"""
