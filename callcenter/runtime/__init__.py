"""The live runtime: drives the pure core from asyncio on the wall clock."""
