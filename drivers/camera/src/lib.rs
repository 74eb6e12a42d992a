//! Camera frame sources (OpenCV VideoCapture, files, binocular RGB+IR).
