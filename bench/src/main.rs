fn main() {
    use fast_poisson::Poisson2D;
    let side = 400.0f64;
    let r = (0.603f64 / 0.625).sqrt();
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let pts: Vec<[f64; 2]> = Poisson2D::new().with_dimensions([side, side], r).with_seed(3).generate();
        println!("fast_poisson {} {:?}", pts.len(), t.elapsed());
    }
}
