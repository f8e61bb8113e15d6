"""One module per URL area (blueprint): views parse, call one domain function, render."""
