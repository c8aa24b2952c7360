//! Charts drawn on the server as SVG (plotters), so reports read without
//! JavaScript.

use chrono::{DateTime, Utc};
use plotters::prelude::*;

/// Deliveries, human opens and human clicks per hour, as an inline SVG
/// document; empty when there is nothing to draw.
pub(crate) fn timeline(points: &[(DateTime<Utc>, i64, i64, i64)]) -> String {
    if points.is_empty() {
        return String::new();
    }
    let mut svg = String::new();
    if let Err(e) = draw(points, &mut svg) {
        tracing::warn!(error = %e, "drawing a chart failed");
        return String::new();
    }
    svg
}

fn draw(points: &[(DateTime<Utc>, i64, i64, i64)], svg: &mut String) -> Result<(), String> {
    draw_into(points, svg).map_err(|e| e.to_string())
}

type DrawResult<'a> = Result<(), Box<dyn std::error::Error + 'a>>;

fn draw_into<'a>(points: &[(DateTime<Utc>, i64, i64, i64)], svg: &'a mut String) -> DrawResult<'a> {
    let root = SVGBackend::with_string(svg, (720, 260)).into_drawing_area();
    root.fill(&WHITE)?;
    let first = points[0].0;
    let hours = |t: DateTime<Utc>| (t - first).num_hours();
    let last = points.iter().map(|p| hours(p.0)).max().unwrap_or(0).max(1);
    let top = points.iter().map(|p| p.1.max(p.2).max(p.3)).max().unwrap_or(0).max(1);
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(48)
        .build_cartesian_2d(0..last, 0..top + top / 10 + 1)?;
    chart
        .configure_mesh()
        .x_desc(format!("hours since {}", first.format("%Y-%m-%d %H:00 UTC")))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let series = [("delivered", 1, BLUE), ("opens", 2, GREEN), ("clicks", 3, RED)];
    for (name, column, color) in series {
        let line = points.iter().map(|p| (hours(p.0), [p.1, p.2, p.3][column - 1]));
        chart
            .draw_series(LineSeries::new(line, color.stroke_width(2)))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.9)).border_style(BLACK.mix(0.3)).draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_one_line_per_series() {
        let t = DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z").map(|t| t.with_timezone(&Utc)).expect("time");
        let svg = timeline(&[(t, 100, 10, 2), (t + chrono::Duration::hours(1), 50, 30, 6)]);
        assert!(svg.starts_with("<svg"), "{svg}");
        for color in ["#0000FF", "#00FF00", "#FF0000"] {
            let line = format!("stroke=\"{color}\" stroke-width=\"2\"");
            assert_eq!(svg.matches(&line).count(), 2, "a line and its legend mark in {color}: {svg}");
        }
        assert!(svg.contains(">\nopens\n<"), "{svg}");
        assert!(timeline(&[]).is_empty());
    }
}
