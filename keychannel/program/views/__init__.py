"""Pages of the program app, one module per sub-domain (urls.py names each view by its module).

Thin: parse, call one service or selector, render. Form pages and buttons go through the shared shapes in
``keychannel.core.views`` (``form_page``, ``post_action``); common holds the program's breadcrumbs.
"""
