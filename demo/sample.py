"""A tiny inventory module to try zeke_ls on: ghost text, chat, edits."""


def total_price(items):
    """Sum price * quantity over the items."""
    total = 0
    for item in items:
        total += item["price"] * item["quantity"]
    return total


def cheapest(items):
    return min(items, key=lambda item: item["price"])


def describe(item):
    name = item["name"]
    price = item["price"]
    return 


if __name__ == "__main__":
    stock = [
        {"name": "pen", "price": 1.5, "quantity": 10},
        {"name": "notebook", "price": 3.0, "quantity": 4},
    ]
    print(total_price(stock), cheapest(stock))
