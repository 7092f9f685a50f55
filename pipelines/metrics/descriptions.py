"""One line per published mart column, shown in the Dagster UI's column table.

The full definitions are ../shared/spec/metrics.md; the implementation choices docs/metrics.md.
"""

FINGERPRINT = {
    "package_fingerprint": "Fingerprint of the package the mart was built from (audit.package.fingerprint); "
                           "staging and marts belong together when they agree.",
}

_KEYS = {
    "region_code": "Region code, or 'ALL' for the whole organisation (computed from the rows, not averaged).",
    "period": "'2025' (year), '2025-Q3' (quarter) or 'FY2026' (fiscal year, when configured).",
    "period_type": "year, quarter or fiscal_year.",
}

SUSTAINABILITY = _KEYS | {
    "period_start": "First day of the period.",
    "period_end": "Last day of the period; commitments and runway are as of this day.",
    "income_eur": "Income received in the period (refunds, i.e. negative rows, included).",
    "in_kind_eur": "In-kind support received in the period, at its declared value.",
    "support_eur": "income_eur + in_kind_eur.",
    "expenditure_eur": "What the region spent in the period.",
    "operating_margin": "(support − expenditure) / support; null when support ≤ 0.",
    "funder_count": "Partners whose net support in the period is above 0.",
    "top_funder_id": "The partner with the largest net support in the period.",
    "top_funder_share": "The top funder's share of the positive support.",
    "hhi": "Herfindahl–Hirschman index of funder shares, 0–1 (1 = a single funder).",
    "effective_funders": "1 / hhi: how many equal funders would give the same concentration.",
    "concentration_band": "unconcentrated / moderate / high, from the HHI thresholds in metric_settings.",
    "committed_pipeline_eur": "Money still to come from agreements in force at period_end.",
    "monthly_burn_eur": "Expenditure in the 12 months to period_end, divided by 12.",
    "runway_months": "committed pipeline / monthly burn; null when nothing was spent.",
    "runway_without_top_funder_months": "The runway with the top funder's agreements removed (stress test).",
    "multi_year_coverage": "Pipeline falling due in the next 12 months (pro rata) over 12 months of burn.",
    "agreements_ended": "Agreements whose end_date falls in the period.",
    "renewal_rate": "Share of the ended agreements that were renewed (renews, or same partner within 180 days).",
    "active_partners": "Partners with an agreement overlapping the period or an interaction in it.",
    "new_partners": "Active partners whose first contact with the organisation falls in the period.",
    "partner_retention": "Share of the previous period's active partners active again.",
    "engaged_partner_share": "Share of partners in force at period_end contacted in the last 90 days; "
                             "null when the package records no interaction at all.",
    "activities": "Activities that started in the period.",
    "participants": "Participants of those activities.",
    "libraries_reached": "Libraries reached by those activities.",
    "cost_per_participant_eur": "expenditure / participants; null when there were none.",
    "outcome_achievement": "Mean of (actual − baseline) / (target − baseline), each capped at 1.5.",
    "sustainability_score": "0–100: weighted mean of diversification, runway, renewal, engagement and margin.",
    "risk_flags": "Thresholds crossed: high_concentration, dominant_funder, short_runway, "
                  "top_funder_cliff, low_renewal, low_engagement, deficit.",
    "spending_figures_withheld": "Null when the report shows runway, coverage and margin; else why it withholds them "
                                 "(no_spending_recorded, spending_below_min_share: 12-month spending below "
                                 "min_spending_share of 12-month support). The numbers stay in this table.",
}

SUPPORT_MIX = _KEYS | {
    "partner_type": "The partners' type (government, foundation, corporate, …).",
    "support_eur": "Net support from partners of this type in the period.",
    "share": "Share of the region's net support; can be negative after refunds; null when support ≤ 0.",
}

PARTNER_SUPPORT = _KEYS | {
    "partner_id": "The partner.",
    "partner_name": "The partner's name as recorded (untrusted text).",
    "partner_type": "The partner's type.",
    "support_eur": "The partner's net support in the region and period (negative after a refund).",
    "share": "Share of the region's positive support; null for a partner at or below 0.",
    "last_interaction_date": "The partner's latest interaction in the region on or before period_end.",
    "agreements_in_force": "The partner's agreements in the region in force at period_end.",
}

EXPIRING_COMMITMENTS = _KEYS | {
    "agreement_id": "An agreement in force at period_end that ends within the next 12 months.",
    "partner_id": "Its partner.",
    "partner_name": "Its partner's name.",
    "title": "The agreement's title.",
    "end_date": "When it ends.",
    "remaining_eur": "Committed minus received by period_end (never below 0).",
}

METRIC_SETTINGS = {
    "name": "Setting name, as in the metric_settings resource.",
    "value": "The value the marts were computed with.",
}

# --- Leadership insight marts (pipelines/metrics/insight.py; docs/metrics.md, "Trends, changes
# and the funding cliff") ---------------------------------------------------------------------

_TREND_MEASURES = {
    "support_eur": "Support (income + in kind)",
    "expenditure_eur": "Expenditure",
    "hhi": "HHI of funder shares",
    "runway_months": "Runway in months",
    "renewal_rate": "Renewal rate",
    "engaged_partner_share": "Engaged partner share",
    "sustainability_score": "Sustainability score (0–100)",
}

TRENDS = _KEYS | {
    "period_start": "First day of the period.",
    "period_end": "Last day of the period.",
    "previous_period": "The period of the same length just before (2024 for 2025, 2025-Q2 for 2025-Q3, "
                       "FY2025 for FY2026); null for the first period of the marts.",
    **{column: text for measure, label in _TREND_MEASURES.items() for column, text in (
        (measure, f"{label} in the period, as in marts.region_sustainability."),
        (f"{measure}_previous", f"{label} in previous_period; null when there is none."),
        (f"{measure}_change", f"{measure} − {measure}_previous (score: points); null when either is null."),
    )},
    "spending_figures_withheld": "As in marts.region_sustainability: when set, the report does not print runway.",
    "previous_spending_figures_withheld": "The same for previous_period.",
}

CHANGES = _KEYS | {
    "previous_period": "The period compared with: the one of the same length just before.",
    "change_kind": "score_component, flag_raised, flag_cleared, funder_gained, funder_lost, "
                   "agreement_ended_unrenewed or partner_went_silent.",
    "subject_id": "What changed: component name, flag name, partner_id or agreement_id.",
    "subject_name": "Its display name: component, flag, partner name or agreement title (untrusted text).",
    "partner_id": "The partner, for funder, agreement and silent-partner rows.",
    "partner_name": "The partner's name (untrusted text).",
    "event_date": "Agreement rows: its end_date. Silent partners: their last interaction in the region "
                  "on or before period_end (null if none).",
    "amount_eur": "Funder gained: its net support in the period. Funder lost: its net support in previous_period. "
                  "Agreement ended: committed_eur. Silent partner: what is still to come from its agreements in force.",
    "value": "Score components: the component (0–1) in the period.",
    "previous_value": "Score components: the component (0–1) in previous_period.",
    "points": "Score components: change of the component's contribution to the score, in points; "
              "the five add up to the score's change.",
}

CASH_PROJECTION = _KEYS | {
    "period_end": "The projection starts the day after this date.",
    "month_number": "1–24: months after period_end.",
    "month": "First day of the projected month.",
    "top_funder_id": "The period's top funder (marts.region_sustainability), left out of the *_without_top_funder columns.",
    "inflow_eur": "Committed inflow in the month: each agreement in force at period_end spreads its remaining "
                  "amount evenly over its remaining days (as multi_year_coverage); rounded to cents.",
    "inflow_without_top_funder_eur": "The same without the top funder's agreements.",
    "burn_eur": "monthly_burn_eur of the period: 12-month expenditure to period_end / 12.",
    "cumulative_inflow_eur": "Sum of inflow_eur over months 1..month_number.",
    "cumulative_inflow_without_top_funder_eur": "Sum of inflow_without_top_funder_eur over months 1..month_number.",
    "cumulative_burn_eur": "burn_eur × month_number.",
    "covered": "cumulative_inflow_eur ≥ cumulative_burn_eur.",
    "covered_without_top_funder": "cumulative_inflow_without_top_funder_eur ≥ cumulative_burn_eur.",
    "cliff_month": "First month not covered (the funding cliff); null when all 24 are covered "
                   "(always when nothing is spent). Same on every row of the region × period.",
    "cliff_month_without_top_funder": "The same without the top funder's agreements.",
}

for _columns in (SUSTAINABILITY, SUPPORT_MIX, PARTNER_SUPPORT, EXPIRING_COMMITMENTS, METRIC_SETTINGS, TRENDS, CHANGES, CASH_PROJECTION):
    _columns.update(FINGERPRINT)
