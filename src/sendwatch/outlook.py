"""The fitted models: an early warning of red duties next term, and forecasts.

Pure functions over pandas DataFrames: no files, no warehouse. The pipeline reads the
marts, calls these, and writes the frames they return to tables.

Every model here is judged against the rule a person would use without it (the
baseline) by a rolling-origin back-test: at each past term it is fitted on what was
known then and scored on what happened next. A model is only worth showing where it
beats that rule, and each result says plainly whether it did. The fits are
deterministic: the same frames give the same results, night after night.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from statsmodels.tools.sm_exceptions import ConvergenceWarning, ModelWarning
from statsmodels.tsa.exponential_smoothing.ets import ETSModel, ETSResults

# --- early warning ------------------------------------------------------------------

DUTY_STRENGTHS = ("must", "should")  # a red one of these is what the warning is about
MIN_TERMS = 3  # two terms to learn from (t -> t+1) and one after them to test on
MIN_EACH_CLASS = 3  # schools that did and did not go red a training set needs
REGULARISATION = 0.1  # LogisticRegression's C: strong, for a few hundred school-terms
REASON_COUNT = 3
REASON_AT_LEAST_SD = 0.5  # a feature closer than this to a quiet school's is no reason
RANDOM_STATE = 0
KEY = ["urn", "term_order"]
BASELINE = "red last term, red next term"

BACKTEST_COLUMNS = [
    "method",
    "origin_term_order",
    "target_term_order",
    "schools",
    "actual_red",
    "predicted_red",
    "true_positives",
    "precision",
    "recall",
    "f1",
]
BACKTEST_PREDICTION_COLUMNS = [
    "urn",
    "origin_term_order",
    "target_term_order",
    "probability",
    "model_flag",
    "baseline_flag",
    "actual_red",
]
PREDICTION_COLUMNS = ["urn", "from_term_order", "probability", "flagged", "reasons", "red_now"]


@dataclass(frozen=True)
class EarlyWarning:
    """The back-test of the early warning, its flags for next term, and the verdict."""

    backtest: pd.DataFrame  # BACKTEST_COLUMNS: by origin term and method, then pooled
    backtest_predictions: pd.DataFrame  # BACKTEST_PREDICTION_COLUMNS
    predictions: pd.DataFrame  # PREDICTION_COLUMNS
    verdict: str
    beats_baseline: bool | None  # None where the back-test could not say


def early_warning(
    checks: pd.DataFrame,
    school_terms: pd.DataFrame,
    titles: dict[str, str],
    threshold: float,
) -> EarlyWarning:
    """Which schools may have a red must or should duty next term, and whether to trust it.

    ``checks`` has a row per school, term and duty check (urn, term_order, check_id,
    strength, status, value); ``school_terms`` a row per school and term (urn,
    term_order, has_return, enquiries_per_100, ...); ``titles`` words for each check_id.
    A school is flagged where the model's probability (the chance itself, not a score)
    is at least ``threshold``. The model is a logistic regression on one term's
    statuses, values, their changes and enquiries, whose coefficients say why a school
    is flagged; it is compared with the baseline "red last term, red next term" at
    every term it could have been used, fitted only on what was known by then. Too
    little data gives empty frames and a verdict saying why, never an exception.
    """
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be between 0 and 1, not {threshold}")
    terms = school_terms["term_order"].nunique()
    if terms < MIN_TERMS:
        return _no_warning(f"Too little data: {terms} term(s) collected, {MIN_TERMS} needed.")
    observed = _features(checks, school_terms)
    features = _centred(observed)
    pairs = _pairs(features)
    if not pairs["actual_red"].any():
        return _no_warning(
            "No school had a red must or should duty in a term after one it sent a "
            "return for, so there is nothing to learn from or to test against."
        )
    scored = list(_rolling_origin(pairs, threshold))
    if not scored:
        return _no_warning(
            "Too little data to back-test: no term yet has at least "
            f"{MIN_EACH_CLASS} schools that went red and {MIN_EACH_CLASS} that did not "
            "before it."
        )
    backtest_predictions = pd.concat(scored, ignore_index=True)[BACKTEST_PREDICTION_COLUMNS]
    backtest = _backtest_table(backtest_predictions)
    verdict, beats = _verdict(backtest)
    predictions = _predict_next(features, observed, pairs, titles, threshold)
    return EarlyWarning(backtest, backtest_predictions, predictions, verdict, beats)


def _no_warning(why: str) -> EarlyWarning:
    return EarlyWarning(
        pd.DataFrame(columns=BACKTEST_COLUMNS),
        pd.DataFrame(columns=BACKTEST_PREDICTION_COLUMNS),
        pd.DataFrame(columns=PREDICTION_COLUMNS),
        f"{why} No predictions.",
        None,
    )


# features: one row per school-term with a return, indexed by (urn, term_order)


def _features(checks: pd.DataFrame, school_terms: pd.DataFrame) -> pd.DataFrame:
    """Each check's amber and red indicators and value, counts of amber and red duties,
    enquiries, and the change of every level since the term before (NaN without one)."""
    returned = school_terms.loc[school_terms["has_return"].astype(bool)].set_index(KEY)
    rows = checks.merge(returned.index.to_frame(index=False), on=KEY)
    rows = rows.assign(
        amber=(rows["status"] == "amber").astype(float),
        red=(rows["status"] == "red").astype(float),
        value=pd.to_numeric(rows["value"], errors="coerce"),
        duty=rows["strength"].isin(DUTY_STRENGTHS),
    )
    wide = rows.groupby([*KEY, "check_id"])[["amber", "red", "value"]].first().unstack()
    wide.columns = [f"{check}:{measure}" for measure, check in wide.columns]
    duties = rows.loc[rows["duty"]].groupby(KEY)[["amber", "red"]].sum()
    levels = pd.DataFrame(index=returned.index).assign(
        **{
            "duties:amber": duties["amber"],
            "duties:red": duties["red"],
            "enquiries:per_100": pd.to_numeric(returned["enquiries_per_100"], errors="coerce"),
        }
    )
    frame = levels.join(wide).sort_index()
    indicators = [c for c in frame if c.endswith((":amber", ":red"))]  # none: a check not sent
    frame[indicators] = frame[indicators].fillna(0)
    return frame.join(_changes(frame))


def _changes(frame: pd.DataFrame) -> pd.DataFrame:
    """Each level minus its value the term before, where the school sent both returns."""
    levels = [c for c in frame if c.endswith(":value") or c.startswith(("duties:", "enquiries:"))]
    before = frame[levels].copy()
    before.index = pd.MultiIndex.from_arrays(
        [before.index.get_level_values("urn"), before.index.get_level_values("term_order") + 1],
        names=KEY,
    )
    change = frame[levels] - before.reindex(frame.index)
    return change.rename(columns=lambda c: f"{c}_change")


def _centred(observed: pd.DataFrame) -> pd.DataFrame:
    """Values, their changes and enquiries as differences from that term's median school.

    What a model can learn from is how a school differs from the others: what moves
    every school alike with the time of year (the months since a yearly update,
    enquiries in a busy term) would otherwise be taken for a warning, and a term of the
    year not yet seen would be extrapolated from. Indicators and counts stay as they are.
    """
    levels = [
        c for c in observed if c.endswith((":value", ":value_change")) or c.startswith("enquiries:")
    ]
    centred = observed.copy()
    medians = observed[levels].groupby(level="term_order").transform("median")
    centred[levels] = observed[levels] - medians
    return centred


def _pairs(features: pd.DataFrame) -> pd.DataFrame:
    """Features of term t with whether the school was red at t+1 (both returns sent)."""
    red = features["duties:red"] > 0
    following = red.copy()
    following.index = pd.MultiIndex.from_arrays(
        [red.index.get_level_values("urn"), red.index.get_level_values("term_order") - 1],
        names=KEY,
    )
    known = features.index.isin(following.index)
    pairs = features.loc[known].copy()
    pairs["actual_red"] = following.reindex(pairs.index).astype(bool)
    pairs["red_now"] = red.loc[known]
    return pairs


# the model and its back-test


def _new_model() -> Pipeline:
    """Impute, scale, and a strongly regularised logistic regression.

    Small and linear, so a few hundred school-terms can fit it without memorising them,
    and each flag can be explained by the features that raised it. Unweighted, so its
    probability is the chance itself: weighting the classes equally ranks schools the
    same but puts a quiet school near 0.5, making any threshold read wrongly. Measured
    on the sample data it matched gradient boosting or did better, and neither beat
    the baseline by much: most of what can be known is whether a duty is red already.
    """
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            (
                "model",
                LogisticRegression(
                    C=REGULARISATION,
                    max_iter=2000,
                    random_state=RANDOM_STATE,
                ),
            ),
        ]
    )


def _feature_columns(features: pd.DataFrame) -> list[str]:
    """Features that vary in the training set (a constant one teaches nothing)."""
    columns = [c for c in features if ":" in c]
    return [c for c in columns if features[c].nunique(dropna=True) > 1]


def _learnable(target: pd.Series) -> bool:
    positives = int(target.sum())
    return positives >= MIN_EACH_CLASS and len(target) - positives >= MIN_EACH_CLASS


def _fit(train: pd.DataFrame) -> tuple[Pipeline, list[str]]:
    columns = _feature_columns(train)
    model = _new_model()
    model.fit(train[columns], train["actual_red"].astype(int))
    return model, columns


def _probability(model: Pipeline, columns: list[str], rows: pd.DataFrame) -> np.ndarray:
    return model.predict_proba(rows[columns])[:, 1]


def _rolling_origin(pairs: pd.DataFrame, threshold: float) -> Iterator[pd.DataFrame]:
    """At each origin t: fit on every (s, s+1) with s+1 <= t, predict t -> t+1."""
    from_terms = pairs.index.get_level_values("term_order")
    for origin in sorted(set(from_terms)):
        train = pairs.loc[from_terms + 1 <= origin]
        test = pairs.loc[from_terms == origin]
        if test.empty or not _learnable(train["actual_red"]):
            continue
        model, columns = _fit(train)
        probability = _probability(model, columns, test)
        yield pd.DataFrame(
            {
                "urn": test.index.get_level_values("urn"),
                "origin_term_order": origin,
                "target_term_order": origin + 1,
                "probability": probability,
                "model_flag": probability >= threshold,
                "baseline_flag": test["red_now"].to_numpy(),
                "actual_red": test["actual_red"].to_numpy(),
            }
        )


def _scores(actual: pd.Series, predicted: pd.Series) -> dict[str, float | int]:
    """Precision, recall and F1 (2TP / (flagged + went red)); NaN where undefined."""
    hits, flagged, went_red = (
        int((actual & predicted).sum()),
        int(predicted.sum()),
        int(actual.sum()),
    )
    return {
        "schools": len(actual),
        "actual_red": went_red,
        "predicted_red": flagged,
        "true_positives": hits,
        "precision": hits / flagged if flagged else math.nan,
        "recall": hits / went_red if went_red else math.nan,
        "f1": 2 * hits / (flagged + went_red) if flagged + went_red else math.nan,
    }


def _backtest_table(scored: pd.DataFrame) -> pd.DataFrame:
    """Scores by origin term and method, then pooled over origins (origin left null)."""
    rows = []
    terms = ["origin_term_order", "target_term_order"]
    for method, flag in (("model", "model_flag"), ("baseline", "baseline_flag")):
        for (origin, target), group in scored.groupby(terms):
            scores = _scores(group["actual_red"], group[flag])
            rows.append({"method": method, terms[0]: origin, terms[1]: target, **scores})
        pooled = _scores(scored["actual_red"], scored[flag])
        rows.append({"method": method, terms[0]: None, terms[1]: None, **pooled})
    table = pd.DataFrame(rows)[BACKTEST_COLUMNS]
    for column in ("origin_term_order", "target_term_order"):
        table[column] = table[column].astype("Int64")
    return table


def _verdict(backtest: pd.DataFrame) -> tuple[str, bool | None]:
    """Whether the model's pooled F1 beat the baseline's, with both precisions and recalls."""
    pooled = backtest.loc[backtest["origin_term_order"].isna()].set_index("method")
    model, baseline = pooled.loc["model"], pooled.loc["baseline"]
    origins = backtest["origin_term_order"].dropna().nunique()
    scope = (
        f"the pooled back-test ({origins} origin term(s), {int(model['schools'])} "
        f"school-terms, {int(model['actual_red'])} of which went red)"
    )
    if model["actual_red"] == 0:
        return f"No school went red in {scope}, so it cannot tell the methods apart.", None
    model_f1, baseline_f1 = (_or_zero(row["f1"]) for row in (model, baseline))
    figures = (
        f"F1 {model_f1:.2f} against {baseline_f1:.2f}; precision {_pct(model['precision'])} "
        f"against {_pct(baseline['precision'])}, recall {_pct(model['recall'])} against "
        f"{_pct(baseline['recall'])}"
    )
    if model_f1 > baseline_f1:
        return f"The model beat the baseline ({BASELINE}) on {scope}: {figures}.", True
    return (
        f"The model did not beat the baseline ({BASELINE}) on {scope}: {figures}. "
        "Rely on the baseline.",
        False,
    )


def _or_zero(value: float) -> float:
    return 0.0 if pd.isna(value) else float(value)


def _pct(value: float) -> str:
    return "n/a" if pd.isna(value) else f"{value:.0%}"


# next term, with reasons


def _predict_next(
    features: pd.DataFrame,
    observed: pd.DataFrame,
    pairs: pd.DataFrame,
    titles: dict[str, str],
    threshold: float,
) -> pd.DataFrame:
    """Refit on every pair; predict from each school's latest term with a return."""
    model, columns = _fit(pairs)
    latest = features.groupby(level="urn").tail(1)  # sorted by term, so the latest
    probability = _probability(model, columns, latest)
    reasons = _reasons(model, columns, latest, observed, titles)
    return pd.DataFrame(
        {
            "urn": latest.index.get_level_values("urn"),
            "from_term_order": latest.index.get_level_values("term_order"),
            "probability": probability,
            "flagged": probability >= threshold,
            "reasons": reasons,
            "red_now": (latest["duties:red"] > 0).to_numpy(),
        }
    )[PREDICTION_COLUMNS]


def _worse_directions(features: pd.DataFrame) -> dict[str, float]:
    """check_id -> +1 where a higher value goes with amber and red, -1 where a lower does.

    The frames carry no band edges, so this is read from the data: the sign of the
    correlation of each check's value with its status (green 0, amber 1, red 2). A check
    never amber or red has no direction, and its value is never given as a reason.
    """
    directions = {}
    for column in [c for c in features if c.endswith(":value")]:
        check = column.removesuffix(":value")
        severity = features[f"{check}:amber"] + 2 * features[f"{check}:red"]
        correlation = features[column].corr(severity)
        if pd.notna(correlation) and correlation != 0:
            directions[check] = math.copysign(1.0, correlation)
    return directions


def _reasons(
    model: Pipeline,
    columns: list[str],
    rows: pd.DataFrame,
    observed: pd.DataFrame,
    titles: dict[str, str],
) -> list[str]:
    """The features that raised each school's probability most and point to trouble.

    ``rows`` are the model's inputs, ``observed`` every school-term as observed. A
    feature's push is its coefficient times how far the school sits from a quiet school
    (no amber or red, values and changes at the term's median), in standard deviations.
    Only a push the worse way is a reason: a count, enquiries or a change up, a check's
    value moved the way its amber and red lie, and a check's value only where that
    check is amber or red now (a value that merely tracks the time of year, as the
    months since a yearly update do, is no reason); and only half a standard deviation
    or more from the quiet school. A missing value pushes nothing.
    """
    imputer, scaler = model.named_steps["impute"], model.named_steps["scale"]
    coefficients = model.named_steps["model"].coef_[0]
    inputs = rows[columns].to_numpy(dtype=float)  # quiet is 0 in every column
    quiet = scaler.transform(np.zeros((1, len(columns))))
    distance = scaler.transform(imputer.transform(rows[columns])) - quiet
    directions = _worse_directions(observed)
    worse = [_worse_sign(column, directions) for column in columns]
    seen = observed.loc[rows.index]
    towards_trouble = (inputs * np.array(worse) > 0) & _judged_now(columns, seen)
    towards_trouble &= np.abs(distance) >= REASON_AT_LEAST_SD
    push = np.where(towards_trouble, distance * coefficients, 0.0)
    reasons = []
    for row_push, row in zip(push, seen[columns].to_numpy(dtype=float), strict=True):
        order = [i for i in np.argsort(-row_push, kind="stable") if row_push[i] > 0]
        words = [_describe(columns[i], row[i], titles) for i in order[:REASON_COUNT]]
        reasons.append("; ".join(words) or "no one feature stands out")
    return reasons


def _worse_sign(column: str, directions: dict[str, float]) -> float:
    """+1 if higher is worse, -1 if lower is, 0 if the feature is never a reason."""
    subject, measure = column.split(":", 1)
    if subject in ("duties", "enquiries") or measure in ("amber", "red"):
        return 1.0
    return directions.get(subject, 0.0)


def _judged_now(columns: list[str], rows: pd.DataFrame) -> np.ndarray:
    """False for a check's value where that check is neither amber nor red this term."""
    allowed = np.ones((len(rows), len(columns)), dtype=bool)
    for index, column in enumerate(columns):
        if column.endswith(":value"):
            check = column.removesuffix(":value")
            allowed[:, index] = (rows[f"{check}:amber"] + rows[f"{check}:red"] > 0).to_numpy()
    return allowed


def _describe(feature: str, value: float, titles: dict[str, str]) -> str:
    """One feature's value in words, e.g. 'Reviews happen on the agreed date: red this term'."""
    subject, measure = feature.split(":", 1)
    change = f"{'up' if value > 0 else 'down'} {abs(value):.3g}"
    if subject == "enquiries":
        if measure == "per_100":
            return f"SENDIASS enquiries {value:.1f} per 100 this term"
        return f"SENDIASS enquiries {change} per 100 since last term"
    if subject == "duties":
        status = measure.removesuffix("_change")
        if measure.endswith("_change"):
            return f"must and should duties at {status} {change} since last term"
        return f"{value:g} must and should duties at {status} this term"
    title = titles.get(subject, subject)
    if measure in ("amber", "red"):
        return f"{title}: {measure} this term"
    if measure == "value":
        return f"{title}: {value:.3g} this term"
    return f"{title}: {change} since last term"


# --- forecasts ----------------------------------------------------------------------

INTERVAL = 0.8  # the forecast's prediction interval
ETS_PARAMETERS = 5  # level and trend smoothing, damping, initial level and trend
SEASONAL_FROM_SEASONS = 4  # full seasons before a seasonal component is fitted
MIN_FIT_POINTS = 3  # through two points a trend is just the line joining them
MIN_BACKTESTS = 2  # year-ahead tests a forecast needs before it is shown at all

BACKTEST_SERIES_COLUMNS = [
    "series_id",
    "origin_period_order",
    "target_period_order",
    "target_label",
    "actual",
    "model_prediction",
    "baseline_prediction",
    "model_abs_pct_error",
    "baseline_abs_pct_error",
]
SUMMARY_COLUMNS = [
    "series_id",
    "points",
    "status",
    "message",
    "model_mape",
    "baseline_mape",
    "model_beats_baseline",
]
FORECAST_COLUMNS = ["series_id", "step", "period_label", "prediction", "lower_80", "upper_80"]


@dataclass(frozen=True)
class Forecasts:
    """Each series' back-test against "same as last year", summary, and forecast."""

    backtest: pd.DataFrame  # BACKTEST_SERIES_COLUMNS
    summary: pd.DataFrame  # SUMMARY_COLUMNS
    forecast: pd.DataFrame  # FORECAST_COLUMNS


def forecasts(series: pd.DataFrame, horizon: int, min_history: int) -> Forecasts:
    """Holt's damped linear trend for each series, judged against "same as last year".

    ``series`` has series_id, period_order (consecutive), period_label, value and
    season_length (1 for yearly series, 3 for termly). A series needs ``min_history``
    points to fit and one more to forecast from; a shorter one gets a summary row
    saying so and no forecast, as does one too short to back-test MIN_BACKTESTS times
    (nothing is fitted). The back-test fits on the points up to each origin and
    predicts the same period a year on (``season_length`` steps), where the baseline
    is the value a year before the target. Errors are in per cent of the actual, and
    MAPE (their mean) leaves out targets whose actual is 0. ``min_history`` is at least
    MIN_FIT_POINTS.

    A seasonal component is fitted only from SEASONAL_FROM_SEASONS full years of
    points: with fewer, its starting values would be guesses, so a termly series is
    fitted without one and the baseline, which is seasonal, keeps its advantage there.
    """
    if horizon < 1 or min_history < MIN_FIT_POINTS:
        raise ValueError(f"horizon must be at least 1 and min_history at least {MIN_FIT_POINTS}")
    backtests, summaries, forecast_frames = [], [], []
    for series_id, points in series.groupby("series_id", sort=True):
        points = points.sort_values("period_order").reset_index(drop=True)
        backtest, summary, forecast = _one_series(str(series_id), points, horizon, min_history)
        backtests.append(backtest)
        summaries.append(summary)
        forecast_frames.append(forecast)
    summary = _stack(summaries, SUMMARY_COLUMNS)
    summary["model_beats_baseline"] = summary["model_beats_baseline"].astype("boolean")
    return Forecasts(
        _stack(backtests, BACKTEST_SERIES_COLUMNS),
        summary,
        _stack(forecast_frames, FORECAST_COLUMNS),
    )


def _stack(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def _one_series(
    series_id: str, points: pd.DataFrame, horizon: int, min_history: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    season = int(points["season_length"].iloc[0])
    values = points["value"].astype(float).to_numpy()
    if np.isnan(values).any():
        raise ValueError(f"series {series_id!r} has a missing value: fill or drop it first")
    count, needed = len(values), min_history + 1
    if count < needed:
        message = f"history too short: {count} points, {needed} needed"
        summary = _summary_row(series_id, count, "too_short", message, math.nan, math.nan)
        return pd.DataFrame(), summary, pd.DataFrame()
    testable = count - season - (min_history - 1)  # origins _backtest_series would fit
    backtest = (
        _backtest_series(series_id, points, values, season, min_history)
        if testable >= MIN_BACKTESTS
        else pd.DataFrame(columns=BACKTEST_SERIES_COLUMNS)
    )
    if len(backtest) < MIN_BACKTESTS:
        # a forecast nobody could check against what happened is not shown
        needed = min_history + season + MIN_BACKTESTS - 1
        message = (
            f"history too short: {count} points; testing a forecast a year ahead "
            f"{MIN_BACKTESTS} times needs {needed}"
        )
        summary = _summary_row(series_id, count, "too_short", message, math.nan, math.nan)
        return backtest, summary, pd.DataFrame()
    model_mape = _mape(backtest["model_abs_pct_error"]) if len(backtest) else math.nan
    baseline_mape = _mape(backtest["baseline_abs_pct_error"]) if len(backtest) else math.nan
    message = _series_message(len(backtest), model_mape, baseline_mape, min_history + season)
    summary = _summary_row(series_id, count, "forecast", message, model_mape, baseline_mape)
    return backtest, summary, _forecast_series(series_id, values, season, horizon)


def _backtest_series(
    series_id: str, points: pd.DataFrame, values: np.ndarray, season: int, min_history: int
) -> pd.DataFrame:
    """Fit on points 0..o, predict o + season; the baseline is the value at o."""
    rows = []
    for origin in range(min_history - 1, len(values) - season):
        target = origin + season
        prediction = float(np.asarray(_fit_ets(values[: origin + 1], season).forecast(season))[-1])
        actual, baseline = values[target], values[origin]
        rows.append(
            {
                "series_id": series_id,
                "origin_period_order": int(points["period_order"].iloc[origin]),
                "target_period_order": int(points["period_order"].iloc[target]),
                "target_label": str(points["period_label"].iloc[target]),
                "actual": actual,
                "model_prediction": prediction,
                "baseline_prediction": baseline,
                "model_abs_pct_error": _abs_pct_error(actual, prediction),
                "baseline_abs_pct_error": _abs_pct_error(actual, baseline),
            }
        )
    return pd.DataFrame(rows, columns=BACKTEST_SERIES_COLUMNS)


def _fit_ets(values: np.ndarray, season: int) -> ETSResults:
    """Holt's damped additive trend, with an additive season once there are enough years.

    statsmodels' convergence and fitting warnings are silenced here (short series
    raise them routinely); its errors are not.
    """
    seasonal = season > 1 and len(values) >= SEASONAL_FROM_SEASONS * season
    model = ETSModel(
        pd.Series(values),
        error="add",
        trend="add",
        damped_trend=True,
        seasonal="add" if seasonal else None,
        seasonal_periods=season if seasonal else None,
    )
    with warnings.catch_warnings():
        for category in (ConvergenceWarning, ModelWarning, RuntimeWarning):
            warnings.simplefilter("ignore", category=category)
        return model.fit(disp=False)


def _forecast_series(series_id: str, values: np.ndarray, season: int, horizon: int) -> pd.DataFrame:
    """Refit on every point; forecast ``horizon`` steps with an 80% interval where the
    fit had points to spare (with no more points than parameters it has none)."""
    result = _fit_ets(values, season)
    count = len(values)
    frame = result.get_prediction(start=count, end=count + horizon - 1).summary_frame(
        alpha=1 - INTERVAL
    )
    spare = count > ETS_PARAMETERS + 1
    steps = range(1, horizon + 1)
    return pd.DataFrame(
        {
            "series_id": series_id,
            "step": list(steps),
            "period_label": [f"next {step}" for step in steps],
            "prediction": frame["mean"].to_numpy(dtype=float),
            "lower_80": frame["pi_lower"].to_numpy(dtype=float) if spare else math.nan,
            "upper_80": frame["pi_upper"].to_numpy(dtype=float) if spare else math.nan,
        }
    )


def _abs_pct_error(actual: float, predicted: float) -> float:
    return math.nan if actual == 0 else abs(predicted - actual) / abs(actual) * 100


def _mape(errors: pd.Series) -> float:
    known = errors.dropna()
    return float(known.mean()) if len(known) else math.nan


def _series_message(tested: int, model_mape: float, baseline_mape: float, needed: int) -> str:
    if not tested:
        return f"forecast not back-tested: {needed} points needed to test a year ahead"
    if pd.isna(model_mape) or pd.isna(baseline_mape):
        return f"back-tested on {tested} point(s), but every actual was 0: no MAPE"
    verb = "beat" if model_mape < baseline_mape else "did not beat"
    return (
        f"model {verb} same as last year over {tested} back-test point(s): "
        f"MAPE {model_mape:.1f}% against {baseline_mape:.1f}%"
    )


def _summary_row(
    series_id: str, points: int, status: str, message: str, model: float, baseline: float
) -> pd.DataFrame:
    beats = pd.NA if pd.isna(model) or pd.isna(baseline) else bool(model < baseline)
    return pd.DataFrame(
        [[series_id, points, status, message, model, baseline, beats]], columns=SUMMARY_COLUMNS
    )
