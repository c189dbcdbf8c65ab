//! Small dense least squares: a linear solver and Levenberg-Marquardt.
//!
//! Written here because the problems are tiny (the head's three semi-axes;
//! a few photos' cameras and tie points, under a hundred unknowns) and the
//! crates that do this well (`nalgebra` with `levenberg-marquardt`) would
//! bring a large dependency tree for eighty lines.

/// Solves the `n` x `n` system `a` x = `b` (`a` row by row) by Gaussian
/// elimination with partial pivoting; `None` when it is singular.
pub fn solve(a: &[f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut m: Vec<Vec<f64>> =
        (0..n).map(|r| a[r * n..(r + 1) * n].iter().copied().chain([b[r]]).collect()).collect();
    for col in 0..n {
        let pivot = (col..n).max_by(|&x, &y| m[x][col].abs().total_cmp(&m[y][col].abs()))?;
        if m[pivot][col].abs() < 1e-300 {
            return None;
        }
        m.swap(col, pivot);
        let (done, below) = m.split_at_mut(col + 1);
        let pivot_row = &done[col];
        for row in below {
            let f = row[col] / pivot_row[col];
            if f != 0.0 {
                for (value, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                    *value -= f * p;
                }
            }
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let tail: f64 = (row + 1..n).map(|k| m[row][k] * x[k]).sum();
        x[row] = (m[row][n] - tail) / m[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// The parameters that minimise the sum of squares of `residuals`,
/// starting from `start` (Levenberg-Marquardt, the Jacobian by forward
/// differences). Stops when a step no longer helps or after `iterations`.
pub fn least_squares(start: Vec<f64>, residuals: impl Fn(&[f64]) -> Vec<f64>, iterations: usize) -> Vec<f64> {
    let n = start.len();
    let mut params = start;
    let mut r = residuals(&params);
    let mut cost: f64 = r.iter().map(|v| v * v).sum();
    let mut damping = 1e-3;
    for _ in 0..iterations {
        let m = r.len();
        let mut jacobian = vec![0.0; m * n];
        for k in 0..n {
            let h = 1e-6 * params[k].abs().max(1.0);
            let mut moved = params.clone();
            moved[k] += h;
            let rk = residuals(&moved);
            for i in 0..m {
                jacobian[i * n + k] = (rk[i] - r[i]) / h;
            }
        }
        // The normal equations (JᵀJ + λ diag(JᵀJ)) δ = -Jᵀr.
        let mut normal = vec![0.0; n * n];
        let mut gradient = vec![0.0; n];
        for i in 0..m {
            let row = &jacobian[i * n..(i + 1) * n];
            for p in 0..n {
                gradient[p] -= row[p] * r[i];
                for q in 0..n {
                    normal[p * n + q] += row[p] * row[q];
                }
            }
        }
        let mut improved = false;
        for _ in 0..12 {
            let mut damped = normal.clone();
            for p in 0..n {
                damped[p * n + p] += damping * normal[p * n + p].max(1e-9);
            }
            let Some(step) = solve(&damped, &gradient, n) else {
                damping *= 10.0;
                continue;
            };
            let tried: Vec<f64> = params.iter().zip(&step).map(|(p, s)| p + s).collect();
            let tried_r = residuals(&tried);
            let tried_cost: f64 = tried_r.iter().map(|v| v * v).sum();
            if tried_cost < cost {
                let gain = cost - tried_cost;
                (params, r, cost) = (tried, tried_r, tried_cost);
                damping = (damping / 3.0).max(1e-12);
                improved = gain > 1e-12 * cost.max(1e-12);
                break;
            }
            damping *= 10.0;
        }
        if !improved {
            break;
        }
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linear_system_is_solved_and_a_singular_one_refused() {
        let x = solve(&[2.0, 1.0, 1.0, 3.0], &[3.0, 5.0], 2).unwrap();
        assert!((x[0] - 0.8).abs() < 1e-12 && (x[1] - 1.4).abs() < 1e-12, "{x:?}");
        assert!(solve(&[1.0, 2.0, 2.0, 4.0], &[1.0, 2.0], 2).is_none());
    }

    #[test]
    fn a_curve_is_fitted_to_its_samples() {
        // y = p0 * exp(p1 * x), sampled without noise.
        let xs: Vec<f64> = (0..20).map(|i| i as f64 / 10.0).collect();
        let ys: Vec<f64> = xs.iter().map(|x| 2.5 * (-1.3 * x).exp()).collect();
        let fit = least_squares(
            vec![1.0, 0.0],
            |p| xs.iter().zip(&ys).map(|(x, y)| p[0] * (p[1] * x).exp() - y).collect(),
            100,
        );
        assert!((fit[0] - 2.5).abs() < 1e-6 && (fit[1] + 1.3).abs() < 1e-6, "{fit:?}");
    }
}
