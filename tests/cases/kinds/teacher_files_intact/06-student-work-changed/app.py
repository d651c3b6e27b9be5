print("my own app")
