//! Two small line charts as SVG text: no plotting crate needed for this.

use std::fmt::Write as _;

/// One line.
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Index into the palette.
    pub colour: usize,
    /// Drawn dashed (the demo beside our own).
    pub dashed: bool,
    /// (x, y) in data units.
    pub points: Vec<(f64, f64)>,
}

const PALETTE: [&str; 4] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
const W: f64 = 720.0;
const H: f64 = 420.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 200.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;

fn header(title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{LEFT}\" y=\"22\" font-size=\"15\">{}</text>\n",
        escape(title)
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Decades covering `lo..hi` on a log axis.
fn decades(lo: f64, hi: f64) -> (f64, f64) {
    let lo = lo.max(0.01).log10().floor();
    let hi = hi.max(0.01).log10().ceil().max(lo + 1.0);
    (lo, hi)
}

fn lines(svg: &mut String, series: &[Series], x: impl Fn(f64) -> f64, y: impl Fn(f64) -> f64) {
    for (n, s) in series.iter().enumerate() {
        let colour = PALETTE[s.colour % PALETTE.len()];
        let dash = if s.dashed {
            " stroke-dasharray=\"6 4\""
        } else {
            ""
        };
        let points: Vec<String> = s
            .points
            .iter()
            .map(|(a, b)| format!("{:.1},{:.1}", x(*a), y(*b)))
            .collect();
        let _ = writeln!(
            svg,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash} points=\"{}\"/>",
            points.join(" ")
        );
        // A few points (the ramp's steps, the demo's percentiles) get a mark each, so a
        // single step still shows.
        if s.points.len() <= 12 {
            for (a, b) in &s.points {
                let _ = writeln!(
                    svg,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{colour}\"/>",
                    x(*a),
                    y(*b)
                );
            }
        }
        let ly = TOP + 10.0 + n as f64 * 18.0;
        let lx = W - RIGHT + 15.0;
        let _ = writeln!(
            svg,
            "<line x1=\"{lx}\" y1=\"{ly}\" x2=\"{}\" y2=\"{ly}\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>",
            lx + 24.0
        );
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\">{}</text>",
            lx + 30.0,
            ly + 4.0,
            escape(&s.name)
        );
    }
}

/// Percentile (y, 0-100) against latency (x, log ms).
pub fn latency_distribution(title: &str, series: &[Series]) -> String {
    let all = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .filter(|v| *v > 0.0);
    let (min, max) = all.fold((f64::MAX, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let (lo, hi) = decades(if min == f64::MAX { 1.0 } else { min }, max.max(1.0));
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let x = |v: f64| LEFT + (v.max(10f64.powf(lo)).log10() - lo) / (hi - lo) * plot_w;
    let y = |p: f64| TOP + plot_h - p / 100.0 * plot_h;
    let mut svg = header(title);
    for d in (lo as i32)..=(hi as i32) {
        let v = 10f64.powi(d);
        let _ = writeln!(
            svg,
            "<line x1=\"{0:.1}\" y1=\"{TOP}\" x2=\"{0:.1}\" y2=\"{1}\" stroke=\"#ddd\"/><text x=\"{0:.1}\" y=\"{2}\" text-anchor=\"middle\">{3}</text>",
            x(v),
            TOP + plot_h,
            TOP + plot_h + 16.0,
            label_ms(v)
        );
    }
    for p in [0, 25, 50, 75, 90, 99] {
        let _ = writeln!(
            svg,
            "<line x1=\"{LEFT}\" y1=\"{0:.1}\" x2=\"{1}\" y2=\"{0:.1}\" stroke=\"#eee\"/><text x=\"{2}\" y=\"{3:.1}\" text-anchor=\"end\">p{p}</text>",
            y(f64::from(p)),
            LEFT + plot_w,
            LEFT - 6.0,
            y(f64::from(p)) + 4.0
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">send-to-arrival latency (log scale)</text>",
        LEFT + plot_w / 2.0,
        H - 10.0
    );
    lines(&mut svg, series, x, y);
    svg.push_str("</svg>\n");
    svg
}

/// p99 (y, log ms) against send rate (x), with the limit drawn.
pub fn ramp(series: &[Series], limit_ms: f64) -> String {
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let x_max = xs.fold(0.0f64, f64::max).max(1.0);
    let ys = series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let (y_min, y_max) = ys.fold((f64::MAX, limit_ms), |(a, b), v| (a.min(v), b.max(v)));
    let (lo, hi) = decades(if y_min == f64::MAX { 1.0 } else { y_min }, y_max);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let x = |v: f64| LEFT + v / x_max * plot_w;
    let y = |v: f64| TOP + plot_h - (v.max(10f64.powf(lo)).log10() - lo) / (hi - lo) * plot_h;
    let mut svg = header("Ramp: p99 latency against send rate (200 rooms x 2)");
    for d in (lo as i32)..=(hi as i32) {
        let v = 10f64.powi(d);
        let _ = writeln!(
            svg,
            "<line x1=\"{LEFT}\" y1=\"{0:.1}\" x2=\"{1}\" y2=\"{0:.1}\" stroke=\"#ddd\"/><text x=\"{2}\" y=\"{3:.1}\" text-anchor=\"end\">{4}</text>",
            y(v),
            LEFT + plot_w,
            LEFT - 6.0,
            y(v) + 4.0,
            label_ms(v)
        );
    }
    let step = (x_max / 6.0 / 250.0).ceil().max(1.0) * 250.0;
    let mut tick = 0.0;
    while tick <= x_max + 0.5 {
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{tick:.0}</text>",
            x(tick),
            TOP + plot_h + 16.0
        );
        tick += step;
    }
    let _ = writeln!(
        svg,
        "<line x1=\"{LEFT}\" y1=\"{0:.1}\" x2=\"{1}\" y2=\"{0:.1}\" stroke=\"#999\" stroke-dasharray=\"3 3\"/><text x=\"{1}\" y=\"{2:.1}\" text-anchor=\"end\">limit {limit_ms:.0} ms</text>",
        y(limit_ms),
        LEFT + plot_w,
        y(limit_ms) - 4.0
    );
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">messages per second</text>",
        LEFT + plot_w / 2.0,
        H - 10.0
    );
    lines(&mut svg, series, x, y);
    svg.push_str("</svg>\n");
    svg
}

fn label_ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.0} s", v / 1000.0)
    } else if v >= 1.0 {
        format!("{v:.0} ms")
    } else {
        format!("{v} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plots_are_svg_with_every_series_named() {
        let series = vec![
            Series {
                name: "i <redis>".into(),
                colour: 0,
                dashed: false,
                points: vec![(1.0, 0.0), (5.0, 50.0), (20.0, 100.0)],
            },
            Series {
                name: "i (demo)".into(),
                colour: 0,
                dashed: true,
                points: vec![(0.5, 50.0), (3.0, 100.0)],
            },
        ];
        let svg = latency_distribution("t", &series);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("i &lt;redis&gt;") && svg.contains("stroke-dasharray"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        let ramp_svg = ramp(&series[..1], 100.0);
        assert!(ramp_svg.contains("limit 100 ms"));
    }

    #[test]
    fn log_axes_cover_the_data() {
        assert_eq!(decades(0.7, 250.0), (-1.0, 3.0));
        assert_eq!(decades(3.0, 3.0), (0.0, 1.0));
    }
}
