"""AWS knowledge lives here and nowhere else: DynamoDB tables and Secrets Manager secrets."""
