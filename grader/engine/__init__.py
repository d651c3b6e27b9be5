"""The engine layer: everything that talks to the Docker engine."""
