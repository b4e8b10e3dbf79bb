"""Renderers for telephony configuration (Asterisk pjsip/extensions/manager/musiconhold)."""
