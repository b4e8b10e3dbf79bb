"""Media plane: G.711 codecs, RTP packets, RFC 4733 DTMF, tones and prompt playback."""
