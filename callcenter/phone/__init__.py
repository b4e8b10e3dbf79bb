"""Agent seat softphone on pjsua2: ``callcenter agent-phone`` and the tests' SIP parties."""
