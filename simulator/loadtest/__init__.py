"""Live SIP load generator: real callers and agent seats against a running engine.

``plan`` samples the calls and seats from a simulation scenario, ``caller`` and ``seat`` are
the SIP parties, ``runner`` drives a run (optionally with an in-process engine), ``figures``
and ``plot`` turn the outcome into the prediction / measurement / records comparison, and
``sipp`` exports plain SIPp scenarios for pure-SIP capacity tests.
"""
