//! Charts drawn as SVG on the server and in the browser alike (no chart library): a line for
//! weekly attendance, bars for bands and groups. Each is an image with a title and a
//! description for screen readers, and its numbers are in a table right under it.

use leptos::prelude::*;

use super::{Chart, ChartKind};

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 250.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 64.0;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The value axis: percentages from a round number below the lowest point to 100, counts from
/// 0 to a round number above the highest.
fn value_range(chart: &Chart) -> (f64, f64) {
    let values = chart
        .points
        .iter()
        .filter_map(|(_, v)| *v)
        .chain(chart.reference.as_ref().map(|(_, v)| *v));
    if chart.unit.ends_with('%') {
        let lowest = values.fold(100.0_f64, f64::min);
        let low = (((lowest - 5.0) / 10.0).floor() * 10.0).clamp(0.0, 90.0);
        (low, 100.0)
    } else {
        let highest = values.fold(0.0_f64, f64::max);
        let step = if highest <= 10.0 {
            2.0
        } else {
            10f64.powf(highest.log10().floor())
        };
        (0.0, ((highest / step).ceil() * step).max(step))
    }
}

/// The chart's SVG markup. `id` makes the title and description ids unique on the page.
pub fn svg(chart: &Chart, id: &str) -> String {
    let (low, high) = value_range(chart);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let y = |v: f64| TOP + plot_h - (v - low) / (high - low) * plot_h;
    let n = chart.points.len().max(1) as f64;
    let slot = plot_w / n;
    let x = |i: usize| LEFT + slot * (i as f64 + 0.5);
    let mut out = format!(
        r#"<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title {id}-desc" class="chart" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(&chart.title),
        escape(&chart.description)
    );
    // Five gridlines with their values.
    for step in 0..=4 {
        let v = low + (high - low) * f64::from(step) / 4.0;
        let gy = y(v);
        out.push_str(&format!(
            r#"<line x1="{LEFT}" x2="{}" y1="{gy:.1}" y2="{gy:.1}" class="grid"/><text x="{}" y="{:.1}" class="tick" text-anchor="end">{}</text>"#,
            WIDTH - RIGHT,
            LEFT - 6.0,
            gy + 4.0,
            if chart.unit.ends_with('%') { format!("{v:.0}%") } else { format!("{v:.0}") }
        ));
    }
    match chart.kind {
        ChartKind::Bars => {
            let bar = (slot * 0.7).min(64.0);
            for (i, (label, value)) in chart.points.iter().enumerate() {
                if let Some(value) = value {
                    let top = y(*value);
                    out.push_str(&format!(
                        r#"<rect x="{:.1}" y="{top:.1}" width="{bar:.1}" height="{:.1}" class="bar"><title>{}: {}</title></rect>"#,
                        x(i) - bar / 2.0,
                        (TOP + plot_h - top).max(0.0),
                        escape(label),
                        number(&chart.unit, *value)
                    ));
                }
            }
        }
        ChartKind::Line => {
            let points: Vec<String> = chart
                .points
                .iter()
                .enumerate()
                .filter_map(|(i, (_, v))| v.map(|v| format!("{:.1},{:.1}", x(i), y(v))))
                .collect();
            out.push_str(&format!(
                r#"<polyline points="{}" class="line" fill="none"/>"#,
                points.join(" ")
            ));
            for (i, (label, value)) in chart.points.iter().enumerate() {
                if let Some(value) = value {
                    out.push_str(&format!(
                        r#"<circle cx="{:.1}" cy="{:.1}" r="3" class="dot"><title>{}: {}</title></circle>"#,
                        x(i),
                        y(*value),
                        escape(label),
                        number(&chart.unit, *value)
                    ));
                }
            }
        }
    }
    if let Some((label, value)) = &chart.reference {
        let ry = y(*value);
        out.push_str(&format!(
            r#"<line x1="{LEFT}" x2="{}" y1="{ry:.1}" y2="{ry:.1}" class="reference"/><text x="{}" y="{:.1}" class="tick" text-anchor="end">{}: {}</text>"#,
            WIDTH - RIGHT,
            WIDTH - RIGHT,
            ry - 4.0,
            escape(label),
            number(&chart.unit, *value)
        ));
    }
    // Category labels under the axis; with many points (weeks), every few.
    let every = (chart.points.len() / 12).max(1);
    for (i, (label, _)) in chart.points.iter().enumerate() {
        if i % every == 0 {
            out.push_str(&format!(
                r#"<text x="{:.1}" y="{:.1}" class="tick" text-anchor="middle">{}</text>"#,
                x(i),
                TOP + plot_h
                    + 16.0
                    + if chart.points.len() > 6 && i % 2 == 1 {
                        14.0
                    } else {
                        0.0
                    },
                escape(&shorten(label))
            ));
        }
    }
    out.push_str("</svg>");
    out
}

fn shorten(label: &str) -> String {
    if label.chars().count() > 22 {
        format!("{}…", label.chars().take(21).collect::<String>())
    } else {
        label.to_string()
    }
}

fn number(unit: &str, value: f64) -> String {
    if unit.ends_with('%') {
        format!("{value:.1}%")
    } else {
        format!("{value:.0}")
    }
}

/// A chart and its numbers as a table.
#[component]
pub fn ChartFigure(chart: Chart, id: String) -> impl IntoView {
    let markup = svg(&chart, &id);
    let unit = chart.unit.clone();
    view! {
        <figure class="chart-figure" data-testid=format!("chart-{id}")>
            <div class="chart-box" inner_html=markup></div>
            <figcaption>{chart.title.clone()}</figcaption>
            <details class="chart-numbers">
                <summary>"The numbers"</summary>
                <table class="figures compact">
                    <caption>{chart.description.clone()}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{chart.axis.clone()}</th>
                            <th scope="col" class="num">{chart.unit.clone()}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {chart
                            .points
                            .iter()
                            .map(|(label, value)| {
                                let shown = value.map(|v| number(&unit, v)).unwrap_or_default();
                                view! {
                                    <tr>
                                        <th scope="row">{label.clone()}</th>
                                        <td class="num">{shown}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                        {chart
                            .reference
                            .clone()
                            .map(|(label, value)| {
                                view! {
                                    <tr>
                                        <th scope="row">{label}</th>
                                        <td class="num">{number(&unit, value)}</td>
                                    </tr>
                                }
                            })}
                    </tbody>
                </table>
            </details>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_an_image_with_its_title_and_no_raw_text() {
        let chart = Chart {
            kind: ChartKind::Bars,
            title: "Attendance by <form>".into(),
            description: "Each form".into(),
            axis: "Form".into(),
            unit: "Attendance %".into(),
            points: vec![("7A".into(), Some(91.5)), ("7B".into(), None)],
            reference: Some(("Whole school".into(), 93.0)),
        };
        let markup = svg(&chart, "gap");
        assert!(markup.contains(r#"role="img""#));
        assert!(markup.contains("<title id=\"gap-title\">Attendance by &lt;form&gt;</title>"));
        assert!(markup.contains("7A: 91.5%"));
        assert_eq!(value_range(&chart), (80.0, 100.0));
    }
}
