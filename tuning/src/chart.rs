//! A PNG line chart (plotters, bitmap backend). Text needs a TrueType
//! font: the first of a few common system paths is loaded at run time;
//! without one, no chart is drawn and the caller is told why.

use plotters::prelude::*;
use plotters::style::FontStyle;

const FONT_PATHS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// Registers a system font as "sans-serif" (once).
fn ensure_font() -> Result<(), String> {
    static FONT: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    FONT.get_or_init(|| {
        let bytes = FONT_PATHS
            .iter()
            .find_map(|p| std::fs::read(p).ok())
            .ok_or_else(|| format!("no TrueType font found (looked in {FONT_PATHS:?})"))?;
        plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            Box::leak(bytes.into_boxed_slice()),
        )
        .map_err(|_| "the font file could not be parsed".to_string())
    })
    .clone()
}

/// One line of a chart.
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// Draws `series` (and optional labelled horizontal lines) to `path`.
pub fn line_chart(
    path: &str,
    title: &str,
    x_label: &str,
    y_label: &str,
    log_x: bool,
    series: &[Series],
    horizontal: &[(String, f64)],
) -> Result<(), String> {
    ensure_font()?;
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let (x_min, x_max) = xs.fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
    let y_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(horizontal.iter().map(|h| h.1))
        .fold(0.0f64, f64::max)
        * 1.1;
    if x_min.partial_cmp(&x_max) != Some(std::cmp::Ordering::Less) || y_max <= 0.0 {
        return Err("nothing to plot".into());
    }
    let root = BitMapBackend::new(path, (1000, 620)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(60);
    let palette = [
        &BLUE,
        &RED,
        &GREEN,
        &MAGENTA,
        &CYAN,
        &BLACK,
        &RGBColor(255, 140, 0),
    ];
    macro_rules! plot_on {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc(x_label)
                .y_desc(y_label)
                .draw()
                .map_err(|e| e.to_string())?;
            for (i, s) in series.iter().enumerate() {
                let color = palette[i % palette.len()];
                chart
                    .draw_series(LineSeries::new(
                        s.points.iter().copied(),
                        color.stroke_width(2),
                    ))
                    .map_err(|e| e.to_string())?
                    .label(s.label.clone())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                    });
                chart
                    .draw_series(s.points.iter().map(|&p| Circle::new(p, 3, color.filled())))
                    .map_err(|e| e.to_string())?;
            }
            for (label, y) in horizontal {
                chart
                    .draw_series(LineSeries::new(
                        vec![(x_min, *y), (x_max, *y)],
                        BLACK.mix(0.6).stroke_width(1),
                    ))
                    .map_err(|e| e.to_string())?
                    .label(label.clone())
                    .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK.mix(0.6)));
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::LowerRight)
                .draw()
                .map_err(|e| e.to_string())?;
        }};
    }
    if log_x {
        plot_on!(
            builder
                .build_cartesian_2d((x_min..x_max).log_scale(), 0.0..y_max)
                .map_err(|e| e.to_string())?
        );
    } else {
        plot_on!(
            builder
                .build_cartesian_2d(x_min..x_max, 0.0..y_max)
                .map_err(|e| e.to_string())?
        );
    }
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}
