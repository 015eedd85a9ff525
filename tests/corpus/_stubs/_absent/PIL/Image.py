# Test-only empty stand-in (d2l imports it for images).
