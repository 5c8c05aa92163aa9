"""What a client receives: single downloads and the signed-off bundle with its manifest."""
