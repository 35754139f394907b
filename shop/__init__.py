"""The shop's data as the bot sees it: customers, products, orders, behind `ShopBackend`."""
