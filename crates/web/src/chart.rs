//! Charts drawn on the server as SVG (plotters), so reports read without
//! JavaScript.

use chrono::{DateTime, Utc};
use plotters::prelude::*;

/// Deliveries, human opens and human clicks per hour, as an inline SVG
/// document; empty when there is nothing to draw.
pub(crate) fn timeline(points: &[(DateTime<Utc>, i64, i64, i64)]) -> String {
    let Some(first) = points.first().map(|p| p.0) else { return String::new() };
    let rows: Vec<(i64, Vec<i64>)> = points.iter().map(|p| ((p.0 - first).num_hours(), vec![p.1, p.2, p.3])).collect();
    let axis = format!("hours since {}", first.format("%Y-%m-%d %H:00 UTC"));
    lines(&rows, &axis, &["delivered", "opens", "clicks"])
}

/// Messages and the share passing DMARC per day.
pub(crate) fn daily(points: &[(chrono::NaiveDate, i64, i64)]) -> String {
    let Some(first) = points.first().map(|p| p.0) else { return String::new() };
    let rows: Vec<(i64, Vec<i64>)> = points.iter().map(|p| ((p.0 - first).num_days(), vec![p.1, p.2])).collect();
    lines(&rows, &format!("days since {first}"), &["messages", "DMARC pass"])
}

/// One line per named series over an integer x axis, as SVG; empty when
/// there is nothing to draw.
fn lines(rows: &[(i64, Vec<i64>)], axis: &str, names: &[&str]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut svg = String::new();
    if let Err(e) = draw_into(rows, axis, names, &mut svg).map_err(|e| e.to_string()) {
        tracing::warn!(error = %e, "drawing a chart failed");
        return String::new();
    }
    svg
}

type DrawResult<'a> = Result<(), Box<dyn std::error::Error + 'a>>;

fn draw_into<'a>(rows: &[(i64, Vec<i64>)], axis: &str, names: &[&str], svg: &'a mut String) -> DrawResult<'a> {
    let root = SVGBackend::with_string(svg, (720, 260)).into_drawing_area();
    root.fill(&WHITE)?;
    let last = rows.iter().map(|r| r.0).max().unwrap_or(0).max(1);
    let top = rows.iter().flat_map(|r| r.1.iter().copied()).max().unwrap_or(0).max(1);
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(48)
        .build_cartesian_2d(0..last, 0..top + top / 10 + 1)?;
    chart.configure_mesh().x_desc(axis).light_line_style(WHITE.mix(0.0)).draw()?;
    let colors = [BLUE, GREEN, RED, MAGENTA];
    for (column, (name, color)) in names.iter().zip(colors).enumerate() {
        let line = rows.iter().map(|r| (r.0, r.1.get(column).copied().unwrap_or(0)));
        chart
            .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
        // A mark on every point: a series of one point draws no line, and
        // the points show where the hours or days with data are.
        chart.draw_series(line.map(|point| Circle::new(point, 3, color.filled())))?;
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

    #[test]
    fn a_single_point_is_drawn_as_a_visible_mark() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let svg = daily(&[(day, 40, 38)]);
        // One filled circle per series, in the series' colour.
        for color in ["#0000FF", "#00FF00"] {
            let marks = svg.matches("<circle").filter(|_| svg.contains(&format!("fill=\"{color}\""))).count();
            assert!(marks >= 1, "a mark in {color}: {svg}");
        }
        assert_eq!(svg.matches("<circle").count(), 2, "{svg}");
    }
}
