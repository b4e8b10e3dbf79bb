"""Asterisk protocol layer: FastAGI and AMI as sans-IO codecs plus thin asyncio transports.

Pure codecs: :mod:`.agi_protocol`, :mod:`.ami_protocol`.
Transports: :mod:`.agi_server` (FastAGI server), :mod:`.ami_client` (AMI client).
Event followers: :mod:`.ami_tracking` (seats and calls seen through AMI events).
Fixture tooling: :mod:`.transcripts` (reads the recorded wire transcripts).
"""
