"""Harvest v2 simulator (api.harvestapp.com/v2) and Harvest identity (id.getharvest.com)."""
