// ZWalkFormats module
