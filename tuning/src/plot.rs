//! Draws the chart of a `bench_report` CSV: throughput against n for one
//! semiring, one line per implementation, the peak probe as a horizontal
//! line.
//!
//! ```text
//! cargo run --release --example bench_report -- --csv report.csv
//! cargo run --release --manifest-path tuning/Cargo.toml --bin plot -- report.csv report.png
//! ```

mod chart;

fn main() {
    if let Err(e) = run() {
        eprintln!("plot: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (csv, png, semiring) = match args.as_slice() {
        [csv, png] => (csv, png, "MaxPlus<f32>"),
        [csv, png, semiring] => (csv, png, semiring.as_str()),
        _ => return Err("usage: plot REPORT.csv CHART.png [SEMIRING]".into()),
    };
    let text = std::fs::read_to_string(csv).map_err(|e| format!("{csv}: {e}"))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().ok_or("empty CSV")?.split(',').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or(format!("{csv}: no column {name:?}"))
    };
    let (c_section, c_semiring, c_impl, c_n, c_gops, c_peak) = (
        column("section")?,
        column("semiring")?,
        column("implementation")?,
        column("n")?,
        column("gops")?,
        column("peak_gops")?,
    );
    let mut series: Vec<chart::Series> = Vec::new();
    let mut peak = 0.0f64;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < header.len() || f[c_section] != "square" || f[c_semiring] != semiring {
            continue;
        }
        let (n, gops): (f64, f64) = match (f[c_n].parse(), f[c_gops].parse()) {
            (Ok(n), Ok(g)) => (n, g),
            _ => continue,
        };
        if let Ok(p) = f[c_peak].parse::<f64>() {
            peak = peak.max(p);
        }
        match series.iter_mut().find(|s| s.label == f[c_impl]) {
            Some(s) => s.points.push((n, gops)),
            None => series.push(chart::Series {
                label: f[c_impl].to_string(),
                points: vec![(n, gops)],
            }),
        }
    }
    if series.is_empty() {
        return Err(format!("{csv}: no square rows for {semiring}"));
    }
    for s in &mut series {
        s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let horizontal = if peak > 0.0 {
        vec![(format!("peak probe ({peak:.1})"), peak)]
    } else {
        Vec::new()
    };
    chart::line_chart(
        png,
        &format!("{semiring}: single thread, square n (bench_report)"),
        "n",
        "G tropical-ops/s (sgemm: G multiply-adds/s)",
        true,
        &series,
        &horizontal,
    )?;
    println!("chart: {png}");
    Ok(())
}
