//! Calendar arithmetic on the unix seconds a decision is handed.

const DAY: i64 = 24 * 60 * 60;

/// Days since the Unix epoch (UTC) of `unix_seconds`.
pub fn day_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(DAY)
}

/// Calendar months since January 1970 (UTC) of `unix_seconds`, for caps
/// per month.
pub fn month_of(unix_seconds: i64) -> i64 {
    // H. Hinnant's civil_from_days, the year and month only.
    let days = day_of(unix_seconds) + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year - 1970) * 12 + month - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_count_from_january_1970() {
        assert_eq!(month_of(0), 0);
        assert_eq!(month_of(31 * 86_400 - 1), 0);
        assert_eq!(month_of(31 * 86_400), 1);
        // 2026-11-30T23:59:59Z and 2026-12-01T00:00:00Z.
        assert_eq!(month_of(1_796_083_199), 56 * 12 + 10);
        assert_eq!(month_of(1_796_083_200), 56 * 12 + 11);
        // 2024-02-29 (leap day) is in February.
        assert_eq!(month_of(1_709_164_800), 54 * 12 + 1);
    }
}
