use super::*;

/// Rosenbrock's function in n dimensions: a curved valley, minimum 0 at (1, …, 1).
struct Rosenbrock;

impl Objective for Rosenbrock {
    fn evaluate(&mut self, x: &[f64], g: &mut [f64]) -> f64 {
        g.fill(0.0);
        let mut f = 0.0;
        for i in 0..x.len() - 1 {
            let (a, b) = (1.0 - x[i], x[i + 1] - x[i] * x[i]);
            f += a * a + 100.0 * b * b;
            g[i] += -2.0 * a - 400.0 * x[i] * b;
            g[i + 1] += 200.0 * b;
        }
        f
    }
}

/// ½ Σ cᵢ xᵢ² with condition number 10⁴.
struct Quadratic(Vec<f64>);

impl Objective for Quadratic {
    fn evaluate(&mut self, x: &[f64], g: &mut [f64]) -> f64 {
        let mut f = 0.0;
        for ((g, x), c) in g.iter_mut().zip(x).zip(&self.0) {
            *g = c * x;
            f += 0.5 * c * x * x;
        }
        f
    }
}

fn never() -> bool {
    false
}

#[test]
fn finds_the_minimum_of_rosenbrock_s_valley() {
    let x0: Vec<f64> = (0..10)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect();
    let mut values = Vec::new();
    let settings = LbfgsSettings {
        gradient_tolerance: 1e-9,
        ..Default::default()
    };
    let m = minimize(&mut Rosenbrock, x0, &settings, &never, &mut |_, f, _| {
        values.push(f)
    });
    assert_eq!(m.stop, StopReason::Gradient, "{m:?}");
    assert!(m.x.iter().all(|x| (x - 1.0).abs() < 1e-6), "{:?}", m.x);
    assert!(m.iterations < 200, "{}", m.iterations);
    // Every accepted step lowers the value (the line search's sufficient decrease).
    assert!(values.windows(2).all(|w| w[1] < w[0]));
    assert_eq!(values.len(), m.iterations + 1);
}

#[test]
fn an_ill_conditioned_quadratic_takes_few_iterations() {
    let n = 200;
    let c: Vec<f64> = (0..n)
        .map(|i| 10f64.powf(4.0 * i as f64 / (n - 1) as f64))
        .collect();
    let settings = LbfgsSettings {
        gradient_tolerance: 1e-5,
        ..Default::default()
    };
    let m = minimize(
        &mut Quadratic(c),
        vec![1.0; n],
        &settings,
        &never,
        &mut |_, _, _| {},
    );
    assert_eq!(m.stop, StopReason::Gradient, "{} {}", m.iterations, m.value);
    // scipy's L-BFGS-B (maxcor 10) takes 846 iterations here; steepest descent would need
    // on the order of 10⁵.
    assert!(m.iterations < 900, "{}", m.iterations);
    assert!(m.evaluations < 2 * m.iterations + 10, "{m:?}");
}

#[test]
fn stops_when_asked_and_when_told_how_many_iterations() {
    let x0 = vec![-1.2, 1.0];
    let settings = LbfgsSettings {
        max_iterations: 3,
        ..Default::default()
    };
    let m = minimize(
        &mut Rosenbrock,
        x0.clone(),
        &settings,
        &never,
        &mut |_, _, _| {},
    );
    assert_eq!((m.stop, m.iterations), (StopReason::Iterations, 3));
    let m = minimize(&mut Rosenbrock, x0, &settings, &|| true, &mut |_, _, _| {});
    assert_eq!((m.stop, m.iterations), (StopReason::Cancelled, 0));
}

#[test]
fn a_run_paused_every_few_iterations_takes_the_same_steps_as_one_run() {
    let x0: Vec<f64> = (0..10)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect();
    let settings = LbfgsSettings {
        max_iterations: 40,
        ..Default::default()
    };
    let (mut whole, mut paused) = (Vec::new(), Vec::new());
    let m = minimize(
        &mut Rosenbrock,
        x0.clone(),
        &settings,
        &never,
        &mut |k, f, _| whole.push((k, f)),
    );
    let mut lbfgs = Lbfgs::new(&mut Rosenbrock, x0, &settings);
    let mut calls = 0;
    while lbfgs
        .run(&mut Rosenbrock, 3, &never, &mut |k, f, _| {
            paused.push((k, f))
        })
        .is_none()
    {
        calls += 1;
    }
    assert_eq!(calls, 13, "40 iterations, three at a time");
    assert_eq!(paused, whole);
    let resumed = lbfgs.into_minimum();
    assert_eq!(resumed.x, m.x);
    assert_eq!(resumed.stop, StopReason::Iterations);
}
