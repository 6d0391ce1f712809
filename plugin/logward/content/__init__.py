"""Loading Logward's content (pipelines, detections, Kibana objects) from the repository."""
