//! Unit tests for the BERT encoder: numeric kernels, weight loading and the forward pass.

use super::*;

#[test]
fn polynomial_exp_is_accurate() {
    let mut worst = 0.0f64;
    let mut x = -87.0f32;
    while x < 10.0 {
        let want = (x as f64).exp();
        let got = exp(x) as f64;
        worst = worst.max(((got - want) / want).abs());
        x += 0.0137;
    }
    assert!(worst < 2e-6, "worst relative error {worst}");
}

#[test]
fn polynomial_erf_is_accurate() {
    let mut worst = 0.0f64;
    let mut x = -6.0f32;
    while x < 6.0 {
        let want = libm_erf(x as f64);
        worst = worst.max((erf(x) as f64 - want).abs());
        x += 0.001;
    }
    assert!(worst < 1e-6, "worst absolute error {worst}");
}

/// erf by its Taylor series (|x| < 3) or continued fraction, in f64: the reference.
fn libm_erf(x: f64) -> f64 {
    if x.abs() < 3.0 {
        let mut sum = x;
        let mut term = x;
        for n in 1..200 {
            term *= -x * x / n as f64;
            sum += term / (2 * n + 1) as f64;
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    } else {
        // erfc(x) ≈ e^{-x²}/(x√π) · (1 - 1/(2x²) + 3/(4x⁴) - 15/(8x⁶))
        let a = x.abs();
        let a2 = a * a;
        let erfc = (-a2).exp() / (a * std::f64::consts::PI.sqrt())
            * (1.0 - 1.0 / (2.0 * a2) + 3.0 / (4.0 * a2 * a2) - 15.0 / (8.0 * a2 * a2 * a2));
        (1.0 - erfc).copysign(x)
    }
}

#[test]
fn softmax_sums_to_one() {
    let mut r = vec![1.0, 2.0, 3.0, -50.0];
    softmax_rows(&mut r, 4);
    assert!((r.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    assert!(r[2] > r[1] && r[1] > r[0] && r[3] < 1e-20);
    // Rows longer than the reduction lanes, with a remainder, each normalised on its own.
    let len = 37;
    let mut rows: Vec<f32> = (0..2 * len)
        .map(|i| ((i * 7919) % 23) as f32 * 0.3)
        .collect();
    let want: Vec<f32> = rows
        .chunks(len)
        .flat_map(|row| {
            let m = row.iter().copied().fold(f32::MIN, f32::max);
            let e: Vec<f64> = row.iter().map(|v| ((v - m) as f64).exp()).collect();
            let total: f64 = e.iter().sum();
            e.into_iter().map(move |v| (v / total) as f32)
        })
        .collect();
    softmax_rows(&mut rows, len);
    for (g, w) in rows.iter().zip(&want) {
        assert!((g - w).abs() < 1e-6, "{g} vs {w}");
    }
}

#[test]
fn layer_norm_matches_the_definition() {
    let h = 40;
    let x: Vec<f32> = (0..3 * h).map(|i| ((i * 31) % 17) as f32 - 8.0).collect();
    let gamma: Vec<f32> = (0..h).map(|i| 1.0 + i as f32 * 0.01).collect();
    let beta: Vec<f32> = (0..h).map(|i| i as f32 * -0.02).collect();
    let mut got = x.clone();
    layer_norm_rows(&mut got, &gamma, &beta, h, 1e-12);
    for (r, row) in x.chunks(h).enumerate() {
        let mean = row.iter().map(|&v| v as f64).sum::<f64>() / h as f64;
        let var = row.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / h as f64;
        for i in 0..h {
            let want =
                (row[i] as f64 - mean) / (var + 1e-12).sqrt() * gamma[i] as f64 + beta[i] as f64;
            assert!((got[r * h + i] as f64 - want).abs() < 1e-5);
        }
    }
}

/// x · W + b by the definition, in f64.
fn naive_linear(x: &[f32], rows: usize, d: &Dense) -> Vec<f32> {
    let mut out = vec![0.0f32; rows * d.outputs];
    for r in 0..rows {
        for j in 0..d.outputs {
            let mut acc = d.bias[j] as f64;
            for i in 0..d.inputs {
                acc += x[r * d.inputs + i] as f64 * d.weight[i * d.outputs + j] as f64;
            }
            out[r * d.outputs + j] = acc as f32;
        }
    }
    out
}

#[test]
fn the_few_rows_and_many_rows_products_both_compute_x_times_w_plus_b() {
    // A small deterministic pseudo-random generator: values in [-1, 1).
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    };
    let (inputs, outputs) = (40, 72);
    let d = Dense {
        weight: (0..inputs * outputs).map(|_| next()).collect(),
        bias: (0..outputs).map(|_| next()).collect(),
        inputs,
        outputs,
    };
    for rows in [1, 7, FEW_ROWS - 1, FEW_ROWS, FEW_ROWS + 9] {
        let x: Vec<f32> = (0..rows * inputs).map(|_| next()).collect();
        let mut out = Vec::new();
        linear(&x, rows, &d, &mut out);
        let want = naive_linear(&x, rows, &d);
        assert_eq!(out.len(), want.len());
        let worst = out
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "{rows} rows: worst error {worst}");
    }
}
