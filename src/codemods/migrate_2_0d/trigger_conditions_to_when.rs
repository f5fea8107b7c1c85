//! trigger-conditions-to-when (MIGRATION-2.0.md rule 1): Kestra 2.0 removed
//! `conditions` / `scheduleConditions` from triggers; a non-Flow trigger
//! says the same with one `when` Pebble expression.

use super::fragments::{
    base_name, combine, expression, literal, negate, replace_entries, unwrap_expression,
    when_value, Part,
};
use super::{is_flow_trigger, key_range, label, triggers, SINCE_2_0};
use crate::codemods::{
    Applicability, Codemod, Declaration, Family, Fix, FlowContext, Phase, Safety,
};
use crate::syntax::value::Value;

pub struct TriggerConditionsToWhen;

const NAME: &str = "trigger-conditions-to-when";

const DECLARATION: Declaration = Declaration {
    name: NAME,
    family: Family::Migrate20,
    summary: "Replace trigger `conditions` / `scheduleConditions` with a `when` expression",
    safety: Safety::SafeWhenProven,
    default_on: SINCE_2_0,
    phase: Phase::TRIGGERS,
    docs: include_str!("../../../codemods/trigger-conditions-to-when/README.md"),
};

/// The keys that held conditions, in the order their fragments join.
const KEYS: [&str; 2] = ["scheduleConditions", "conditions"];

impl Codemod for TriggerConditionsToWhen {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn run(&self, ctx: &FlowContext) -> Vec<Fix> {
        let mut fixes = Vec::new();
        for t in triggers(ctx) {
            if is_flow_trigger(&t.type_name) {
                continue;
            }
            let name = label(&t);
            for key in ["preconditions", "timeWindow"] {
                if let (Some(_), Some(range)) = (t.data.get(key), key_range(&t.mapping, key)) {
                    fixes.push(Fix::display_only(
                        range,
                        format!("`{key}` of trigger {name} only applies to Flow triggers; Kestra 2.0 rejects it here, remove it"),
                    ));
                }
            }
            let mut full = Vec::new();
            let mut empty = Vec::new();
            for key in KEYS {
                match t.data.get(key) {
                    Some(Value::Seq(items)) if items.is_empty() => empty.push(key),
                    Some(Value::Seq(items)) => full.push((key, items)),
                    _ => {}
                }
            }
            let refuse = |why: String| -> Vec<Fix> {
                full.iter()
                    .filter_map(|(key, _)| {
                        Some(Fix::display_only(
                            key_range(&t.mapping, key)?,
                            format!("`{key}` of trigger {name} cannot become `when`: {why}; trigger conditions were removed in Kestra 2.0, rewrite them by hand"),
                        ))
                    })
                    .collect()
            };
            if full.is_empty() {
                if empty.is_empty() {
                    continue;
                }
                let mut editor = ctx.editor();
                let done = editor
                    .transaction(|e| empty.iter().try_for_each(|key| e.remove_key(&t.path, key)));
                if let (Ok(()), Some(range)) = (done, key_range(&t.mapping, empty[0])) {
                    fixes.push(editor.into_fix(
                        range,
                        format!(
                            "Remove the empty `{}` of trigger {name} (Kestra 2.0 rejects the key)",
                            empty[0]
                        ),
                        Applicability::Safe,
                    ));
                }
                continue;
            }
            if t.data.get("when").is_some() {
                fixes.extend(refuse("the trigger already has `when`".into()));
                continue;
            }
            let timing = Timing::of(t.data);
            let mut parts = Vec::new();
            let mut failed = None;
            'all: for (key, items) in &full {
                for (i, cond) in items.iter().enumerate() {
                    match convert(cond, &timing) {
                        Ok(part) => parts.push(part),
                        Err(why) => {
                            let base = cond
                                .get("type")
                                .and_then(Value::as_str)
                                .map_or("?", base_name);
                            failed = Some(format!("`{key}[{i}]` (`{base}`) {why}"));
                            break 'all;
                        }
                    }
                }
            }
            if let Some(why) = failed {
                fixes.extend(refuse(why));
                continue;
            }
            let when = when_value(parts);
            let consumed: Vec<&str> = full.iter().map(|(k, _)| *k).chain(empty).collect();
            let mut editor = ctx.editor();
            let done = replace_entries(
                ctx.text,
                &mut editor,
                &t.path,
                &t.mapping,
                &consumed,
                vec![("when".into(), expression(&when.text))],
            );
            let Some(range) = key_range(&t.mapping, consumed[0]) else {
                continue;
            };
            match done {
                Ok(()) => {
                    let (applicability, extra) = if when.caveats.is_empty() {
                        (Applicability::Safe, String::new())
                    } else {
                        (
                            Applicability::Unsafe,
                            format!("; unsafe: {}", when.caveats.join("; ")),
                        )
                    };
                    fixes.push(editor.into_fix(
                        range,
                        format!("Replace `{}` of trigger {name} with `when` (removed in Kestra 2.0){extra}", consumed[0]),
                        applicability,
                    ));
                }
                Err(refusal) => fixes.extend(refuse(refusal.to_string())),
            }
        }
        fixes
    }
}

/// When the trigger can fire, for the one rewrite whose exactness depends
/// on it (TimeBetween `after`).
struct Timing {
    /// Whether the trigger may fire at minute 0, second 0 of an hour.
    on_the_hour: bool,
}

impl Timing {
    fn of(trigger: &Value) -> Self {
        let on_the_hour = match trigger.get("cron").and_then(Value::as_str) {
            Some(cron) => cron_fires_on_the_hour(cron),
            // A Webhook or polling trigger fires whenever it fires.
            None => true,
        };
        Timing { on_the_hour }
    }
}

/// Whether a cron expression may fire at `hh:00:00`: its minute field (and
/// second field, with six fields) may be 0. Anything not read as a list of
/// plain numbers counts as "may".
fn cron_fires_on_the_hour(cron: &str) -> bool {
    let fields: Vec<&str> = cron.split_whitespace().collect();
    let may_be_zero = |field: &str| {
        field.split(',').any(|item| match item.parse::<u32>() {
            Ok(n) => n == 0,
            Err(_) => true,
        })
    };
    match fields.len() {
        5 => may_be_zero(fields[0]),
        6 => may_be_zero(fields[0]) && may_be_zero(fields[1]),
        _ => true,
    }
}

/// A condition's fragment (the Schedule/Webhook table), or why not.
fn convert(cond: &Value, timing: &Timing) -> Result<Part, String> {
    let type_name = cond
        .get("type")
        .and_then(Value::as_str)
        .ok_or("has no `type`")?;
    let base = base_name(type_name);
    let dated = |part: Part| -> Result<Part, String> {
        match cond.get("date") {
            None | Some(Value::Null) => Ok(part),
            Some(Value::String(s)) if is_trigger_date(s) => Ok(part),
            Some(_) => Err(
                "reads a `date` other than `{{ trigger.date }}`, which `when` cannot name".into(),
            ),
        }
    };
    match base {
        "Expression" | "Variable" => {
            let text = cond
                .get("expression")
                .and_then(Value::as_str)
                .ok_or("has no `expression`")?;
            let mut part = Part::exact(unwrap_expression(text)?);
            part.string_valued = true;
            Ok(part)
        }
        "DayWeek" => {
            let day = literal(cond, "dayOfWeek")?.ok_or("has no `dayOfWeek`")?;
            dated(Part::exact(format!("dayOfWeek(trigger.date) == '{day}'")))
        }
        "DayWeekInMonth" => {
            let day = literal(cond, "dayOfWeek")?.ok_or("has no `dayOfWeek`")?;
            let nth = literal(cond, "dayInMonth")?.ok_or("has no `dayInMonth`")?;
            dated(Part::exact(format!(
                "isDayWeekInMonth(trigger.date, '{day}', '{nth}')"
            )))
        }
        "Weekend" => dated(Part::exact("isWeekend(trigger.date)")),
        "PublicHoliday" => {
            let country = literal(cond, "country")?.ok_or(
                "has no `country` (1.x used the server's locale; 2.0 requires the country argument)",
            )?;
            let text = match literal(cond, "subDivision")? {
                Some(sub) => format!("isPublicHoliday(trigger.date, '{country}', '{sub}')"),
                None => format!("isPublicHoliday(trigger.date, '{country}')"),
            };
            dated(Part::exact(text))
        }
        "DateTimeBetween" => dated(date_time_between(cond, timing)?),
        "TimeBetween" => dated(time_between(cond, timing)?),
        "Not" => {
            let children = children(cond)?;
            let parts = children
                .iter()
                .map(|c| convert(c, timing))
                .collect::<Result<Vec<_>, _>>()?;
            // 1.x: passes only when no child passes.
            Ok(negate(combine(parts, "or")))
        }
        "Or" => {
            let children = children(cond)?;
            let parts = children
                .iter()
                .map(|c| convert(c, timing))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(combine(parts, "or"))
        }
        "HasRetryAttempt" => Err("needs an execution, which a non-Flow trigger has none of".into()),
        _ => Err("has no `when` equivalent on this trigger".into()),
    }
}

/// The `conditions` of a `Not` / `Or`: a non-empty list.
fn children(cond: &Value) -> Result<&[Value], String> {
    match cond.get("conditions") {
        Some(Value::Seq(items)) if !items.is_empty() => Ok(items),
        _ => Err("has no `conditions` list".into()),
    }
}

fn is_trigger_date(s: &str) -> bool {
    s.trim()
        .strip_prefix("{{")
        .and_then(|t| t.strip_suffix("}}"))
        .is_some_and(|inner| inner.trim() == "trigger.date")
}

/// A bound that is a time of day, not a date-time (the peer's test).
fn is_time_of_day(s: &str) -> bool {
    let t = s.trim();
    let dated = t.len() > 8 && t.as_bytes().get(4) == Some(&b'-');
    !(t.contains("{{") || !t.contains(':') || t.contains('T') || t.contains('/') || dated)
}

fn date_time_between(cond: &Value, timing: &Timing) -> Result<Part, String> {
    let bound = |key| cond.get(key).and_then(Value::as_str);
    let (after, before) = (bound("after"), bound("before"));
    if after.is_some_and(is_time_of_day) || before.is_some_and(is_time_of_day) {
        return time_between(cond, timing);
    }
    let operand = |text: &str| -> Result<String, String> {
        let t = text.trim();
        if let Some(inner) = t.strip_prefix("{{").and_then(|t| t.strip_suffix("}}")) {
            if !inner.contains("{{") && !inner.contains("}}") && !inner.contains("{%") {
                return Ok(format!("(({}) | timestamp())", inner.trim()));
            }
        }
        if t.contains("{{") || t.contains("{%") || t.contains('\'') {
            return Err(format!(
                "has a bound (`{t}`) that is not one expression or a plain date-time"
            ));
        }
        Ok(format!("('{t}' | timestamp())"))
    };
    // 1.x includes both bounds.
    let mut sides = Vec::new();
    if let Some(a) = after {
        sides.push(format!("(trigger.date | timestamp()) >= {}", operand(a)?));
    }
    if let Some(b) = before {
        sides.push(format!("(trigger.date | timestamp()) <= {}", operand(b)?));
    }
    if sides.is_empty() {
        return Err("has neither `after` nor `before`".into());
    }
    Ok(Part::exact(sides.join(" and ")))
}

/// A whole-hour bound: the hour and its zone (`None`: the server's).
fn hour_bound(s: &str) -> Result<(u32, Option<String>), String> {
    let t = s.trim();
    let (time, zone) = if let Some(rest) = t.strip_suffix('Z') {
        (rest, Some("Z".to_string()))
    } else {
        match t.rfind(['+', '-']).filter(|&i| i > 0) {
            Some(i) => {
                let zone = &t[i..];
                let zero = zone[1..].chars().all(|c| c == '0' || c == ':');
                (
                    &t[..i],
                    Some(if zero { "Z".into() } else { zone.to_string() }),
                )
            }
            None => (t, None),
        }
    };
    let fields: Vec<&str> = time.split(':').collect();
    let numbers: Option<Vec<u32>> = fields.iter().map(|f| f.parse().ok()).collect();
    match numbers {
        Some(n) if (1..=3).contains(&n.len()) && n[0] <= 23 && n[1..].iter().all(|&x| x == 0) => {
            Ok((n[0], zone))
        }
        _ => Err(format!("has a bound (`{t}`) that is not a whole hour")),
    }
}

fn time_between(cond: &Value, timing: &Timing) -> Result<Part, String> {
    let bound = |key| -> Result<Option<(u32, Option<String>)>, String> {
        match cond.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => hour_bound(s).map(Some),
            Some(_) => Err(format!("has a `{key}` that is not a time")),
        }
    };
    let (after, before) = (bound("after")?, bound("before")?);
    if let (Some((_, za)), Some((_, zb))) = (&after, &before) {
        if za.is_some() && zb.is_some() && za != zb {
            return Err("has bounds in two time zones".into());
        }
        if let (Some((ha, _)), Some((hb, _))) = (&after, &before) {
            if ha >= hb {
                return Err("never matched in 1.x (`after` is not earlier than `before`, and 1.x does not wrap midnight)".into());
            }
        }
    }
    let zone = after
        .as_ref()
        .and_then(|(_, z)| z.clone())
        .or_else(|| before.as_ref().and_then(|(_, z)| z.clone()));
    let date = match &zone {
        Some(z) => format!("trigger.date | date(timeZone='{z}')"),
        None => "trigger.date".to_string(),
    };
    let mut sides = Vec::new();
    if let Some((h, _)) = after {
        sides.push(format!("hourOfDay({date}) >= {h}"));
    }
    if let Some((h, _)) = before {
        sides.push(format!("hourOfDay({date}) < {h}"));
    }
    if sides.is_empty() {
        return Err("has neither `after` nor `before`".into());
    }
    let mut part = Part::exact(sides.join(" and "));
    if let Some(z) = &zone {
        part = part.caveat(format!(
            "check on a 2.0 instance that `hourOfDay` accepts `date(timeZone='{z}')` (it returns text)"
        ));
    }
    if after.is_some() && timing.on_the_hour {
        part = part.caveat(
            "`>=` also fires at exactly the `after` hour, which 1.x excluded, and the trigger can fire on the hour",
        );
    }
    Ok(part)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::value::decode_documents;

    fn cond(yaml: &str) -> Value {
        decode_documents(&crate::syntax::parse(yaml))
            .unwrap()
            .remove(0)
    }

    fn parses(when: &str) {
        let template = crate::kestra::pebble::parse(&format!("{{{{ {when} }}}}"));
        assert!(template.errors.is_empty(), "{when}: {:?}", template.errors);
        assert_eq!(template.expressions().count(), 1, "{when}");
    }

    const HOURLY: Timing = Timing { on_the_hour: true };

    #[test]
    fn every_generated_fragment_parses_as_pebble() {
        for yaml in [
            "type: io.kestra.plugin.core.condition.DayWeek\ndayOfWeek: MONDAY",
            "type: io.kestra.plugin.core.condition.DayWeekInMonth\ndayOfWeek: MONDAY\ndayInMonth: FIRST",
            "type: io.kestra.plugin.core.condition.Weekend",
            "type: io.kestra.plugin.core.condition.PublicHoliday\ncountry: FR\nsubDivision: IDF",
            "type: io.kestra.plugin.core.condition.DateTimeBetween\nafter: '2025-01-01T00:00:00Z'\nbefore: '{{ vars.end }}'",
            "type: io.kestra.plugin.core.condition.TimeBetween\nafter: '08:00:00+02:00'\nbefore: '17:00:00+02:00'",
            "type: io.kestra.plugin.core.condition.Expression\nexpression: '{{ inputs.go }}'",
            "type: io.kestra.plugin.core.condition.Not\nconditions:\n- type: io.kestra.plugin.core.condition.Weekend\n- type: io.kestra.plugin.core.condition.PublicHoliday\n  country: FR",
            "type: io.kestra.plugin.core.condition.Or\nconditions:\n- type: io.kestra.plugin.core.condition.Weekend\n- type: io.kestra.plugin.core.condition.DayWeek\n  dayOfWeek: MONDAY",
        ] {
            let part = convert(&cond(yaml), &HOURLY).unwrap();
            parses(&part.text);
        }
    }

    #[test]
    fn cron_on_the_hour() {
        assert!(cron_fires_on_the_hour("0 * * * *"));
        assert!(cron_fires_on_the_hour("*/15 * * * *"));
        assert!(!cron_fires_on_the_hour("30 9 * * *"));
        assert!(!cron_fires_on_the_hour("0 30 9 * * *"));
        assert!(cron_fires_on_the_hour("@hourly"));
    }

    #[test]
    fn hour_bounds() {
        assert_eq!(
            hour_bound("22:00:00+02:00").unwrap(),
            (22, Some("+02:00".into()))
        );
        assert_eq!(hour_bound("06:00+00:00").unwrap(), (6, Some("Z".into())));
        assert_eq!(hour_bound("6").unwrap(), (6, None));
        assert!(hour_bound("06:30:00").is_err());
        assert!(hour_bound("24:00").is_err());
    }
}
