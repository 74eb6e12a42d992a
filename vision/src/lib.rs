//! Face detection, landmarks, quality, active liveness and 1:1 matching (OpenCV).
