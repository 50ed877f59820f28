//! When the digest goes out: by default Monday 07:00 on the Amsterdam clock (summer time
//! included), once per ISO week. `STADSMAAT_DIGEST_AT` moves it ("monday 07:00",
//! "friday 16:30"). People who have not visited for three months get it monthly.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Europe::Amsterdam;

/// When in the week the digest is due, on the Amsterdam clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub weekday: Weekday,
    pub time: NaiveTime,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            weekday: Weekday::Mon,
            time: NaiveTime::from_hms_opt(7, 0, 0).unwrap_or_default(),
        }
    }
}

impl Schedule {
    /// Parses "monday 07:00" (English or Dutch day names).
    pub fn parse(value: &str) -> Result<Schedule, String> {
        let bad = || format!("the digest time must look like \"monday 07:00\", got {value:?}");
        let (day, time) = value.trim().split_once(' ').ok_or_else(bad)?;
        let weekday = match day.to_lowercase().as_str() {
            "monday" | "maandag" => Weekday::Mon,
            "tuesday" | "dinsdag" => Weekday::Tue,
            "wednesday" | "woensdag" => Weekday::Wed,
            "thursday" | "donderdag" => Weekday::Thu,
            "friday" | "vrijdag" => Weekday::Fri,
            "saturday" | "zaterdag" => Weekday::Sat,
            "sunday" | "zondag" => Weekday::Sun,
            _ => return Err(bad()),
        };
        let time = NaiveTime::parse_from_str(time.trim(), "%H:%M").map_err(|_| bad())?;
        Ok(Schedule { weekday, time })
    }

    /// The ISO week `at` falls in, on the Amsterdam clock ("2026-W49").
    pub fn week(at: DateTime<Utc>) -> String {
        let week = at.with_timezone(&Amsterdam).iso_week();
        format!("{}-W{:02}", week.year(), week.week())
    }

    /// The moment the digest of `at`'s week is due, in UTC: that week's weekday and time
    /// on the Amsterdam clock, so it is 07:00 in Amsterdam in winter and summer alike.
    pub fn due_in_week_of(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let local = at.with_timezone(&Amsterdam);
        let iso = local.iso_week();
        let day = NaiveDate::from_isoywd_opt(iso.year(), iso.week(), self.weekday)
            .unwrap_or_else(|| local.date_naive());
        let naive = day.and_time(self.time);
        // A time skipped by the clock change comes an hour later; a doubled one, first.
        let local_due = Amsterdam
            .from_local_datetime(&naive)
            .earliest()
            .or_else(|| {
                Amsterdam
                    .from_local_datetime(&(naive + chrono::Duration::hours(1)))
                    .earliest()
            })
            .unwrap_or_else(|| Amsterdam.from_utc_datetime(&naive));
        local_due.with_timezone(&Utc)
    }

    /// Whether the digest of `at`'s week is due at `at`.
    pub fn is_due(&self, at: DateTime<Utc>) -> bool {
        at >= self.due_in_week_of(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn monday_seven_is_seven_in_amsterdam_in_winter_and_summer() {
        let schedule = Schedule::default();
        // Winter: UTC+1.
        assert_eq!(
            schedule.due_in_week_of(utc(2026, 12, 3, 12, 0)),
            utc(2026, 11, 30, 6, 0)
        );
        // Summer: UTC+2.
        assert_eq!(
            schedule.due_in_week_of(utc(2026, 7, 1, 12, 0)),
            utc(2026, 6, 29, 5, 0)
        );
        // The week the clock goes back (Sunday 25 October 2026): Monday is winter time.
        assert_eq!(
            schedule.due_in_week_of(utc(2026, 10, 28, 12, 0)),
            utc(2026, 10, 26, 6, 0)
        );
    }

    #[test]
    fn due_from_the_moment_on_and_weeks_counted_on_the_amsterdam_clock() {
        let schedule = Schedule::default();
        assert!(!schedule.is_due(utc(2026, 11, 30, 5, 59)));
        assert!(schedule.is_due(utc(2026, 11, 30, 6, 0)));
        assert!(
            schedule.is_due(utc(2026, 12, 6, 22, 0)),
            "still due on Sunday"
        );
        // Sunday 23:30 UTC is already Monday in Amsterdam: the next week.
        assert_eq!(Schedule::week(utc(2026, 12, 6, 23, 30)), "2026-W50");
        assert_eq!(Schedule::week(utc(2026, 12, 6, 22, 30)), "2026-W49");
    }

    #[test]
    fn another_day_and_time_can_be_chosen() {
        let schedule = Schedule::parse("vrijdag 16:30").expect("parse");
        assert_eq!(schedule.weekday, Weekday::Fri);
        assert_eq!(
            schedule.due_in_week_of(utc(2026, 12, 1, 0, 0)),
            utc(2026, 12, 4, 15, 30)
        );
        assert!(Schedule::parse("someday 7").is_err());
    }
}
