"""AWS: the DynamoDB job store, S3 artifacts, AWS Batch submission and the clients they share."""
