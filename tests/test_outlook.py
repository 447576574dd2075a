"""The fitted models (sendwatch.outlook) on small frames built here, whose answers are
worked out again in the test."""

from __future__ import annotations

import math
import random

import pandas as pd
import pytest

from sendwatch.outlook import (
    BACKTEST_COLUMNS,
    PREDICTION_COLUMNS,
    SUMMARY_COLUMNS,
    early_warning,
    forecasts,
)

STRENGTHS = {"reviews_on_time": "should", "senco_designated": "must", "notional_budget": "signal"}
TITLES = {
    "reviews_on_time": "Reviews happen on the agreed date",
    "senco_designated": "A SENCO is designated",
    "notional_budget": "SEN spend against the notional SEN budget",
}
VALUES = {"green": 0.97, "amber": 0.85, "red": 0.6}  # the share of reviews on time


def warning_frames(
    histories: dict[str, list[dict[str, str] | None]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """checks and school_terms from each school's statuses term by term (None: no return).

    A check left out of a term's dict is green; a term without a return is no_return.
    """
    checks, school_terms = [], []
    for urn, terms in histories.items():
        for order, statuses in enumerate(terms, start=1):
            returned = statuses is not None
            school_terms.append(
                {
                    "urn": urn,
                    "term_order": order,
                    "academic_year": "2024-25",
                    "term": "autumn",
                    "has_return": returned,
                    "enquiries_per_100": 2.0 if returned else math.nan,
                    "sen_support_pupils": 40.0 if returned else math.nan,
                }
            )
            for check, strength in STRENGTHS.items():
                status = (statuses or {}).get(check, "green") if returned else "no_return"
                value = VALUES.get(status, math.nan) if check == "reviews_on_time" else 1.0
                checks.append(
                    {
                        "urn": urn,
                        "term_order": order,
                        "check_id": check,
                        "strength": strength,
                        "status": status,
                        "value": value,
                    }
                )
    return pd.DataFrame(checks), pd.DataFrame(school_terms)


def red_duty(statuses: dict[str, str] | None) -> bool:
    return statuses is not None and any(
        status == "red" and STRENGTHS[check] in ("must", "should")
        for check, status in statuses.items()
    )


def random_histories(seed: int, schools: int = 60, terms: int = 6):
    """Reds that persist for a term or two, blips, signal-only reds and a missing return."""
    rng = random.Random(seed)
    histories: dict[str, list[dict[str, str] | None]] = {}
    for index in range(schools):
        history: list[dict[str, str] | None] = []
        red_left = 0
        for _ in range(terms):
            if red_left == 0 and rng.random() < 0.15:
                red_left = rng.choice((1, 2, 3))
            statuses = {}
            if red_left:
                statuses[rng.choice(("reviews_on_time", "senco_designated"))] = "red"
                red_left -= 1
            if rng.random() < 0.1:
                statuses["notional_budget"] = "red"  # a signal: never a red duty
            history.append(statuses)
        if index == 0:
            history[2] = None  # no return: neither (2, 3) nor (3, 4) can be scored
        histories[f"9{index:05d}"] = history
    return histories


def test_the_baseline_scores_are_red_last_term_red_next_term_counted_by_hand() -> None:
    histories = random_histories(seed=3)
    result = early_warning(*warning_frames(histories), TITLES, threshold=0.5)
    backtest = result.backtest
    assert list(backtest.columns) == BACKTEST_COLUMNS
    baseline = backtest.loc[backtest["method"] == "baseline"]
    origins = baseline["origin_term_order"].dropna().astype(int).tolist()
    assert origins  # the data is enough to back-test
    pooled = {"schools": 0, "actual_red": 0, "predicted_red": 0, "true_positives": 0}
    for origin in origins:
        now_next = [
            (red_duty(terms[origin - 1]), red_duty(terms[origin]))
            for terms in histories.values()
            if terms[origin - 1] is not None and terms[origin] is not None
        ]
        counts = {
            "schools": len(now_next),
            "actual_red": sum(after for _, after in now_next),
            "predicted_red": sum(now for now, _ in now_next),
            "true_positives": sum(now and after for now, after in now_next),
        }
        row = baseline.loc[baseline["origin_term_order"] == origin].iloc[0]
        assert row["target_term_order"] == origin + 1
        assert {key: int(row[key]) for key in counts} == counts
        assert row["precision"] == pytest.approx(counts["true_positives"] / counts["predicted_red"])
        assert row["recall"] == pytest.approx(counts["true_positives"] / counts["actual_red"])
        pooled = {key: pooled[key] + counts[key] for key in pooled}
    overall = baseline.loc[baseline["origin_term_order"].isna()].iloc[0]
    assert pd.isna(overall["target_term_order"])
    assert {key: int(overall[key]) for key in pooled} == pooled
    assert overall["precision"] == pytest.approx(pooled["true_positives"] / pooled["predicted_red"])
    assert overall["recall"] == pytest.approx(pooled["true_positives"] / pooled["actual_red"])
    # one back-test prediction per school scored at each origin, model and baseline alike
    assert len(result.backtest_predictions) == pooled["schools"]
    assert result.beats_baseline in (True, False)
    assert ("did not beat" in result.verdict) == (not result.beats_baseline)


def drifting_histories() -> tuple[dict[str, list[dict[str, str] | None]], set[str]]:
    """Schools whose reviews slip to amber for a term, then red; and schools with one red
    term that recovers at once (where "red last term, red next term" is always wrong).

    Returns the histories and the schools amber in the last term (about to go red)."""
    histories: dict[str, list[dict[str, str] | None]] = {}
    about_to_go_red = set()
    for index in range(60):
        urn = f"9{index:05d}"
        history: list[dict[str, str] | None] = [{} for _ in range(6)]
        if index < 30:  # drifting: amber at term `start`, red the term after
            start = index % 6
            history[start] = {"reviews_on_time": "amber"}
            if start + 1 < 6:
                history[start + 1] = {"reviews_on_time": "red"}
            else:
                about_to_go_red.add(urn)
        elif index < 42:  # a red blip in one term, gone the next
            history[index % 5] = {"senco_designated": "red"}
        histories[urn] = history
    return histories, about_to_go_red


def test_the_early_warning_flags_drift_and_names_the_drifting_check() -> None:
    histories, about_to_go_red = drifting_histories()
    result = early_warning(*warning_frames(histories), TITLES, threshold=0.5)
    assert result.beats_baseline is True
    assert result.verdict.startswith("The model beat the baseline")
    predictions = result.predictions
    assert list(predictions.columns) == PREDICTION_COLUMNS
    assert len(predictions) == 60 and set(predictions["from_term_order"]) == {6}
    flagged = predictions.loc[predictions["flagged"]]
    assert set(flagged["urn"]) == about_to_go_red
    assert (flagged["probability"] >= 0.5).all()
    for reasons in flagged["reasons"]:
        assert "Reviews happen on the agreed date: amber this term" in reasons.split("; ")
    drifting = predictions.loc[predictions["urn"].isin(about_to_go_red)]
    assert not drifting["red_now"].any()  # the baseline flags none of them
    # in the back-test, every school amber at an origin was flagged and went red; the
    # blips (red out of a green term) are all missed, by the baseline too
    scored = result.backtest_predictions
    amber = [
        histories[urn][origin - 1] == {"reviews_on_time": "amber"}
        for urn, origin in zip(scored["urn"], scored["origin_term_order"], strict=True)
    ]
    assert scored.loc[amber, "model_flag"].all() and scored.loc[amber, "actual_red"].all()
    pooled = result.backtest.loc[result.backtest["origin_term_order"].isna()].set_index("method")
    assert pooled.loc["model", "true_positives"] == sum(amber) > 0
    assert pooled.loc["baseline", "true_positives"] == 0


def test_the_early_warning_is_deterministic() -> None:
    frames = warning_frames(random_histories(seed=5))
    first = early_warning(*frames, TITLES, threshold=0.3)
    second = early_warning(*frames, TITLES, threshold=0.3)
    pd.testing.assert_frame_equal(first.backtest_predictions, second.backtest_predictions)
    pd.testing.assert_frame_equal(first.predictions, second.predictions)
    assert first.verdict == second.verdict


@pytest.mark.parametrize(
    ("histories", "why"),
    [
        ({"900001": [{"reviews_on_time": "red"}, {}]}, "Too little data: 2 term(s)"),
        ({f"9{i:05d}": [{}, {}, {}, {}] for i in range(10)}, "No school had a red"),
        (  # one school ever goes red: nothing to fit on before any term
            {"900001": [{}, {"senco_designated": "red"}, {}], "900002": [{}, {}, {}]},
            "Too little data to back-test",
        ),
    ],
)
def test_too_little_data_gives_a_verdict_and_empty_frames(histories, why: str) -> None:
    result = early_warning(*warning_frames(histories), TITLES, threshold=0.5)
    assert why in result.verdict and result.verdict.endswith("No predictions.")
    assert result.beats_baseline is None
    assert result.backtest.empty and list(result.backtest.columns) == BACKTEST_COLUMNS
    assert result.backtest_predictions.empty and result.predictions.empty


# --- forecasts ------------------------------------------------------------------------


def series_frame(series: dict[str, tuple[list[float], int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "series_id": series_id,
                "period_order": order,
                "period_label": f"period {order}",
                "value": value,
                "season_length": season,
            }
            for series_id, (values, season) in series.items()
            for order, value in enumerate(values, start=1)
        ]
    )


def test_holt_beats_same_as_last_year_on_a_clear_trend_and_mape_is_its_errors_mean() -> None:
    trend = [200.0 + 15 * year + (3 if year % 2 else -3) for year in range(9)]
    result = forecasts(series_frame({"ehc_plans": (trend, 1)}), horizon=2, min_history=4)
    backtest = result.backtest
    assert backtest["origin_period_order"].tolist() == list(range(4, 9))
    assert (backtest["target_period_order"] == backtest["origin_period_order"] + 1).all()
    for row in backtest.itertuples():
        assert row.actual == trend[row.target_period_order - 1]
        assert row.baseline_prediction == trend[row.target_period_order - 2]  # a year before
        assert row.target_label == f"period {row.target_period_order}"
    model_errors = [
        abs(row.model_prediction - row.actual) / row.actual * 100 for row in backtest.itertuples()
    ]
    baseline_errors = [
        abs(row.baseline_prediction - row.actual) / row.actual * 100
        for row in backtest.itertuples()
    ]
    summary = result.summary.set_index("series_id").loc["ehc_plans"]
    assert summary["status"] == "forecast" and summary["points"] == 9
    assert summary["model_mape"] == pytest.approx(sum(model_errors) / len(model_errors))
    assert summary["baseline_mape"] == pytest.approx(sum(baseline_errors) / len(baseline_errors))
    assert summary["model_mape"] < summary["baseline_mape"]
    assert bool(summary["model_beats_baseline"]) is True
    forecast = result.forecast
    assert forecast["period_label"].tolist() == ["next 1", "next 2"]
    assert trend[-1] < forecast["prediction"].iloc[0] < forecast["prediction"].iloc[1]
    assert (forecast["lower_80"] < forecast["prediction"]).all()
    assert (forecast["prediction"] < forecast["upper_80"]).all()


def test_a_termly_series_is_tested_a_year_ahead_against_the_same_term_last_year() -> None:
    termly = [30.0, 22.0, 26.0, 33.0, 24.0, 28.0, 35.0, 25.0]
    result = forecasts(series_frame({"enquiries": (termly, 3)}), horizon=3, min_history=3)
    backtest = result.backtest
    assert (backtest["target_period_order"] == backtest["origin_period_order"] + 3).all()
    assert backtest["target_period_order"].tolist() == [6, 7, 8]
    assert backtest["baseline_prediction"].tolist() == [termly[2], termly[3], termly[4]]
    assert len(result.forecast) == 3


def test_a_short_series_is_reported_too_short_with_no_forecast() -> None:
    long = [float(value) for value in range(1, 8)]
    frame = series_frame({"new_measure": ([10.0, 12.0, 13.0], 1), "long": (long, 1)})
    result = forecasts(frame, horizon=2, min_history=4)
    assert list(result.summary.columns) == SUMMARY_COLUMNS
    short = result.summary.set_index("series_id").loc["new_measure"]
    assert short["status"] == "too_short"
    assert short["message"] == "history too short: 3 points, 5 needed"
    assert math.isnan(short["model_mape"]) and pd.isna(short["model_beats_baseline"])
    assert "new_measure" not in set(result.forecast["series_id"])
    assert "new_measure" not in set(result.backtest["series_id"])
    assert set(result.forecast["series_id"]) == {"long"}


def test_every_series_too_short_gives_empty_frames() -> None:
    result = forecasts(series_frame({"a": ([1.0, 2.0], 1)}), horizon=1, min_history=3)
    assert result.backtest.empty and result.forecast.empty
    assert result.summary["status"].tolist() == ["too_short"]
