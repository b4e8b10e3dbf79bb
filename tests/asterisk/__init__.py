"""Tests of the Asterisk protocol layer (AGI and AMI codecs, FastAGI server, AMI client)."""
