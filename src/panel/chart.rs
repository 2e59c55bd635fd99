//! A report as a line chart, SVG, drawn by `plotters`: the first column
//! labels the x axis; the numeric columns of the first one's kind (counts
//! with counts, percentages with percentages, up to [`MAX_SERIES`]) are
//! each a line with a marker per row and a legend entry.

use dianabot_persistence::reports::{ColumnKind, Report};
use plotters::prelude::*;

/// More lines than this read as noise; the table has every column.
const MAX_SERIES: usize = 6;
const SIZE: (u32, u32) = (900, 320);

/// The chart's SVG, or `None` when the report has no rows or nothing
/// numeric to draw.
pub fn svg(report: &Report) -> Option<String> {
    let numeric = |kind| matches!(kind, ColumnKind::Int | ColumnKind::Real | ColumnKind::Percent);
    let drawn = report.columns.iter().skip(1).map(|column| column.kind).find(|kind| numeric(*kind))?;
    let series: Vec<(&str, Vec<(usize, f64)>)> = report
        .columns
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, column)| column.kind == drawn)
        .take(MAX_SERIES)
        .map(|(at, column)| {
            let points = report.rows.iter().enumerate().filter_map(|(x, row)| Some((x, row.get(at)?.as_f64()?)));
            (column.name, points.collect::<Vec<_>>())
        })
        .filter(|(_, points)| !points.is_empty())
        .collect();
    if report.rows.is_empty() || series.is_empty() {
        return None;
    }
    let first = report.columns.first().map_or(ColumnKind::Text, |column| column.kind);
    let labels: Vec<String> =
        report.rows.iter().map(|row| row.first().map(|value| value.display(first)).unwrap_or_default()).collect();
    let values = series.iter().flat_map(|(_, points)| points.iter().map(|(_, y)| *y));
    let (low, high) = values.fold((0f64, 0f64), |(low, high), y| (low.min(y), high.max(y)));
    let high = if high > low { high + (high - low) * 0.1 } else { low + 1.0 };
    let mut out = String::new();
    draw(&mut out, &labels, &series, low..high).ok()?;
    Some(out)
}

fn draw(
    out: &mut String,
    labels: &[String],
    series: &[(&str, Vec<(usize, f64)>)],
    range: std::ops::Range<f64>,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let last = labels.len().saturating_sub(1).max(1);
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(0..last, range)?;
    chart
        .configure_mesh()
        .x_labels(labels.len().min(12))
        .x_label_formatter(&|x| labels.get(*x).cloned().unwrap_or_default())
        .draw()?;
    for (index, (name, points)) in series.iter().enumerate() {
        let color = Palette99::pick(index);
        chart
            .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)).point_size(3))?
            .label(*name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], Palette99::pick(index).stroke_width(2)));
    }
    chart.configure_series_labels().border_style(BLACK).background_style(WHITE.mix(0.9)).draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dianabot_persistence::reports::{Column, Value};

    fn report(rows: Vec<Vec<Value>>) -> Report {
        let columns = vec![
            Column { name: "day", kind: ColumnKind::Date },
            Column { name: "dau", kind: ColumnKind::Int },
            Column { name: "note", kind: ColumnKind::Text },
        ];
        Report { name: "activity", title: "Activity", columns, rows }
    }

    #[test]
    fn a_report_is_drawn_as_one_line_per_numeric_column_with_a_marker_per_row() {
        let rows = (0..3).map(|i| vec![Value::Int(20_000 + i), Value::Int(i * 2), Value::Text("<b>".into())]).collect();
        let svg = svg(&report(rows)).expect("a chart");
        assert!(svg.starts_with("<svg"), "{svg}");
        assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
        assert!(svg.contains("2024-10-04") && svg.contains(">\ndau\n<"), "{svg}");
        assert!(!svg.contains("<b>"));
    }

    #[test]
    fn nothing_to_draw_is_no_chart() {
        assert_eq!(svg(&report(vec![])), None);
        assert_eq!(svg(&report(vec![vec![Value::Int(1), Value::Null, Value::Text("x".into())]])), None);
    }
}
