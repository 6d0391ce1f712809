"""Rules compiled for Elastic: Kibana detection rule bodies and Elasticsearch transforms."""
