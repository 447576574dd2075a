-- One row per register school and term: the overall status is the most severe
-- must or should status (severity from the status seed); signals are counted and
-- named beside it, never folded in (duties-v1). attention_rank orders a term's
-- schools worst first, as the overview lists them.
with checks as (
    select * from {{ ref('fct_duty_checks') }}
),

statuses as (
    select * from {{ ref('dim_status') }}
),

catalogue as (
    select * from {{ ref('dim_duty_check') }}
),

schools as (
    select * from {{ ref('dim_school') }}
),

school_term_returns as (
    select * from {{ ref('int_school_term_returns') }}
),

judged_checks as (
    select
        checks.*,
        statuses.severity,
        catalogue.title || ' (' || statuses.status_label || ')' as named_status
    from checks
    inner join statuses on checks.status = statuses.status
    inner join catalogue on checks.check_id = catalogue.check_id
),

school_terms as (
    select
        urn,
        academic_year,
        term,
        max(severity) filter (where strength in ('must', 'should')) as overall_severity,
        count(*) filter (where strength = 'must' and status = 'red') as must_red,
        count(*) filter (where strength in ('must', 'should') and status = 'red') as duties_red,
        count(*) filter (
            where strength in ('must', 'should') and status = 'amber'
        ) as duties_amber,
        string_agg(named_status, '; ' order by severity desc, check_id asc) filter (
            where strength in ('must', 'should') and status in ('red', 'amber')
        ) as duties_flagged,
        count(*) filter (
            where strength = 'signal' and status in ('red', 'amber')
        ) as signals_raised,
        string_agg(named_status, '; ' order by severity desc, check_id asc) filter (
            where strength = 'signal' and status in ('red', 'amber')
        ) as signals_flagged,
        max(numerator) filter (
            where check_id = 'identification_rate' and status != 'no_return'
        ) as sen_support_pupils
    from judged_checks
    group by urn, academic_year, term
),

overall as (
    select
        school_terms.*,
        statuses.status as overall_status
    from school_terms
    inner join statuses on school_terms.overall_severity = statuses.severity
),

ranked as (
    select
        overall.*,
        schools.school_name,
        schools.phase,
        schools.locality,
        school_term_returns.return_status,
        school_term_returns.number_on_roll,
        school_term_returns.national_rate * school_term_returns.number_on_roll
            as expected_sen_support,
        row_number() over (
            partition by overall.academic_year, overall.term
            order by
                overall.overall_severity desc,
                overall.must_red desc,
                overall.duties_red desc,
                overall.duties_amber desc,
                schools.school_name asc,
                overall.urn asc
        ) as attention_rank
    from overall
    inner join schools on overall.urn = schools.urn
    inner join school_term_returns
        on
            overall.urn = school_term_returns.urn
            and overall.academic_year = school_term_returns.academic_year
            and overall.term = school_term_returns.term
)

select
    urn,
    school_name,
    phase,
    locality,
    academic_year,
    term,
    overall_status,
    overall_severity,
    attention_rank,
    must_red,
    duties_red,
    duties_amber,
    duties_flagged,
    signals_raised,
    signals_flagged,
    return_status,
    number_on_roll,
    sen_support_pupils,
    expected_sen_support,
    -- withheld outside the LA: a total that includes it is withheld too
    coalesce(
        {{ is_small_count('sen_support_pupils') }}
        or {{ is_small_count('number_on_roll - sen_support_pupils') }},
        false
    ) as sen_support_withheld
from ranked
