"""Dash pages: one module per page, whose register() registers its layout(**query) (through routing.register_page)
and its callbacks; create_app calls them."""
