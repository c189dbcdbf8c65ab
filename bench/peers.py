"""Python peers for bench/run: SciPy's Poisson-disk sampler and OpenCV's
anti-aliased circles, timed on the same work as the Rust side.
Prints one JSON object of median seconds."""
import json, sys, time
import numpy as np

def median_time(fn, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]

def main():
    count, circles_csv, width, height = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    from scipy.stats import qmc
    import cv2
    cv2.setNumThreads(2)
    # Radius for `count` points in the unit square (same packing as fill_space gives).
    radius = (0.60 / count) ** 0.5
    got = {}
    def poisson():
        eng = qmc.PoissonDisk(d=2, radius=radius, seed=3)
        got["n"] = len(eng.fill_space())
    scipy_s = median_time(poisson, 3)
    data = np.loadtxt(circles_csv, delimiter=",", skiprows=1, usecols=(0, 1, 2))
    img = np.full((height, width, 3), 180, np.uint8)
    shift = 4  # sub-pixel centres, as the Rust side draws
    centres = np.round(data[:, :2] * (1 << shift)).astype(np.int64)
    radii = np.maximum(1, np.round(data[:, 2] * (1 << shift))).astype(np.int64)
    def circles():
        for (x, y), r in zip(centres, radii):
            cv2.circle(img, (int(x), int(y)), int(r), (40, 40, 40), -1, cv2.LINE_AA, shift)
    cv_s = median_time(circles, 5)
    print(json.dumps({"scipy_poisson_s": scipy_s, "scipy_points": got["n"], "cv2_circles_s": cv_s, "cv2_circles": len(radii)}))

if __name__ == "__main__":
    main()
