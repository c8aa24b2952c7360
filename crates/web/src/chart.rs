//! Charts drawn on the server as SVG (plotters), so reports read without
//! JavaScript.

use chrono::{DateTime, Utc};
use plotters::prelude::*;

/// Deliveries, human opens and human clicks per hour, as inline SVG (see
/// [`lines`]), in `lang`; the axis names its start in `zone`. Empty when
/// there is nothing to draw.
pub(crate) fn timeline(
    points: &[(DateTime<Utc>, i64, i64, i64)],
    zone: &chrono_tz::Tz,
    lang: i18n::Language,
) -> String {
    let Some(first) = points.first().map(|p| p.0) else { return String::new() };
    let rows: Vec<(i64, Vec<i64>)> = points.iter().map(|p| ((p.0 - first).num_hours(), vec![p.1, p.2, p.3])).collect();
    let axis = lang.t1("chart-hours-since", "start", lang.moment(&first.with_timezone(zone)));
    let names = [lang.t("chart-delivered"), lang.t("chart-opens"), lang.t("chart-clicks")];
    lines(&rows, &axis, &names)
}

/// Messages and the share passing DMARC per day, in `lang`.
pub(crate) fn daily(points: &[(chrono::NaiveDate, i64, i64)], lang: i18n::Language) -> String {
    let Some(first) = points.first().map(|p| p.0) else { return String::new() };
    let rows: Vec<(i64, Vec<i64>)> = points.iter().map(|p| ((p.0 - first).num_days(), vec![p.1, p.2])).collect();
    let start = lang.date(&first.and_time(chrono::NaiveTime::default()).and_utc());
    let axis = lang.t1("chart-days-since", "start", start);
    let names = [lang.t("chart-messages"), lang.t("chart-dmarc-pass")];
    lines(&rows, &axis, &names)
}

/// A drawing size and the size of its words, in pixels.
struct Canvas {
    size: (u32, u32),
    font: u32,
}

/// A desk's chart, and a phone's: narrower, so its words stay readable
/// when it shrinks to the screen. The stylesheet shows one of them.
const WIDE: Canvas = Canvas { size: (760, 280), font: 15 };
const NARROW: Canvas = Canvas { size: (420, 260), font: 14 };

/// One line per named series over an integer x axis, as two SVG drawings
/// (wide and narrow); empty when there is nothing to draw.
fn lines(rows: &[(i64, Vec<i64>)], axis: &str, names: &[String]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    for (class, canvas) in [("chart-wide", WIDE), ("chart-narrow", NARROW)] {
        let mut svg = String::new();
        if let Err(e) = draw_into(rows, axis, names, &canvas, &mut svg).map_err(|e| e.to_string()) {
            tracing::warn!(error = %e, "drawing a chart failed");
            return String::new();
        }
        out.push_str(&format!("<div class=\"{class}\">{svg}</div>"));
    }
    out
}

type DrawResult<'a> = Result<(), Box<dyn std::error::Error + 'a>>;

fn draw_into<'a>(
    rows: &[(i64, Vec<i64>)],
    axis: &str,
    names: &[String],
    canvas: &Canvas,
    svg: &'a mut String,
) -> DrawResult<'a> {
    let root = SVGBackend::with_string(svg, canvas.size).into_drawing_area();
    root.fill(&WHITE)?;
    let last = rows.iter().map(|r| r.0).max().unwrap_or(0).max(1);
    let top = rows.iter().flat_map(|r| r.1.iter().copied()).max().unwrap_or(0).max(1);
    let font = ("sans-serif", canvas.font);
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(canvas.font * 3)
        .y_label_area_size(canvas.font * 4)
        .build_cartesian_2d(0..last, 0..top + top / 10 + 1)?;
    chart
        .configure_mesh()
        .x_desc(axis)
        .label_style(font)
        .axis_desc_style(font)
        .x_labels(if canvas.size.0 < 600 { 5 } else { 10 })
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let colors = [BLUE, GREEN, RED, MAGENTA];
    for (column, (name, color)) in names.iter().zip(colors).enumerate() {
        let line = rows.iter().map(|r| (r.0, r.1.get(column).copied().unwrap_or(0)));
        chart
            .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
        // A mark on every point: a series of one point draws no line, and
        // the points show where the hours or days with data are.
        chart.draw_series(line.map(|point| Circle::new(point, 3, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .label_font(font)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_one_line_per_series() {
        let t = DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z").map(|t| t.with_timezone(&Utc)).expect("time");
        let points = [(t, 100, 10, 2), (t + chrono::Duration::hours(1), 50, 30, 6)];
        let both = timeline(&points, &chrono_tz::Asia::Tokyo, i18n::Language::English);
        assert!(both.starts_with("<div class=\"chart-wide\"><svg"), "{both}");
        let (wide, narrow) = both.split_once("<div class=\"chart-narrow\">").expect("two drawings");
        for svg in [wide, narrow] {
            for color in ["#0000FF", "#00FF00", "#FF0000"] {
                let line = format!("stroke=\"{color}\" stroke-width=\"2\"");
                assert_eq!(svg.matches(&line).count(), 2, "a line and its legend mark in {color}: {svg}");
            }
            assert!(svg.contains(">\nopens\n<"), "{svg}");
            // The axis starts in the reader's zone.
            assert!(svg.contains("hours since 2026-11-23 19:00 JST"), "{svg}");
        }
        assert!(timeline(&[], &chrono_tz::UTC, i18n::Language::English).is_empty());
        // In the reader's language too.
        let japanese = timeline(&[(t, 100, 10, 2)], &chrono_tz::Asia::Tokyo, i18n::Language::Japanese);
        assert!(japanese.contains("2026年11月23日(月) 19:00 JSTからの経過時間"), "{japanese}");
    }

    #[test]
    fn a_single_point_is_drawn_as_a_visible_mark() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let svg = daily(&[(day, 40, 38)], i18n::Language::English);
        // One filled circle per series, in the series' colour.
        for color in ["#0000FF", "#00FF00"] {
            let marks = svg.matches("<circle").filter(|_| svg.contains(&format!("fill=\"{color}\""))).count();
            assert!(marks >= 1, "a mark in {color}: {svg}");
        }
        assert_eq!(svg.matches("<circle").count(), 4, "two in each drawing: {svg}");
    }
}
