-- What each check of duties-v1 measures, per register school, term and check:
-- value, numerator, denominator, a detail for the evidence sentence, and the
-- check's bands and words from the catalogue, so the statuses need nothing else.
-- forced_status is set only where a check's own rule decides before its bands.
with school_term_returns as (
    select * from {{ ref('int_school_term_returns') }}
),

pupil_facts as (
    select * from {{ ref('int_pupil_term_facts') }}
),

duty_checks as (
    select * from {{ ref('dim_duty_check') }}
),

returns_in_force as (
    select * from school_term_returns
    where submission_in_force is not null
),

pupil_counts as (
    select
        urn,
        academic_year,
        term,
        count(*) as register_pupils,
        count(*) filter (where parents_were_informed) as parents_informed,
        count(*) filter (where is_sen_support) as sen_support_pupils,
        count(*) filter (where is_sen_support and support_is_planned) as support_planned,
        count(*) filter (where review_was_due) as reviews_due,
        count(*) filter (where review_was_due and review_was_on_time) as reviews_on_time,
        count(*) filter (where on_register_a_year) as on_register_a_year,
        count(*) filter (
            where on_register_a_year and met_parents_three_times
        ) as met_parents_three_times,
        count(*) filter (where views_were_recorded) as views_recorded,
        count(*) filter (where has_specialist) as with_specialist,
        count(*) filter (where has_specialist and specialist_was_agreed) as specialist_agreed,
        count(*) filter (where is_part_time) as part_time,
        count(*) filter (
            where
            is_sen_support
            and is_high_cost
            and not has_ehc_request
        ) as high_cost_no_request,
        count(*) filter (where ehc_requested_in_last_year) as ehc_requests,
        count(*) filter (
            where ehc_requested_in_last_year and ehc_requested_by = 'parent'
        ) as parent_requests
    from pupil_facts
    group by urn, academic_year, term
),

schools as (
    select
        returns_in_force.*,
        pupil_counts.* exclude (urn, academic_year, term),  -- noqa: RF02
        {{ full_months_between('returns_in_force.senco_appointed_date',
            'returns_in_force.census_date') }} as senco_months_in_post,
        {{ full_months_between('returns_in_force.sen_information_report_updated',
            'returns_in_force.census_date') }} as report_age_months,
        {{ full_months_between('returns_in_force.accessibility_plan_updated',
            'returns_in_force.census_date') }} as plan_age_months,
        -- share of the financial year (1 April to 31 March) gone by the census
        make_date(
            year(returns_in_force.census_date - interval 3 month), 4, 1
        ) as financial_year_start
    from returns_in_force
    left join pupil_counts
        on
            returns_in_force.urn = pupil_counts.urn
            and returns_in_force.academic_year = pupil_counts.academic_year
            and returns_in_force.term = pupil_counts.term
),

schools_with_budget as (
    select
        *,
        notional_sen_budget_gbp
        * datediff('day', financial_year_start, census_date)
        / datediff('day', financial_year_start, financial_year_start + interval 1 year)
            as prorated_budget_gbp
    from schools
),

part_time_bands as (
    select
        amber_at,
        red_at
    from duty_checks
    where check_id = 'part_time_timetables'
),

parent_request_bands as (
    select amber_at
    from duty_checks
    where check_id = 'parent_led_ehc_requests'
),

measures as (
    select
        urn,
        academic_year,
        term,
        'senco_designated' as check_id,
        case when senco_designated = 'Y' then 1 else 0 end as value,
        null as numerator,
        null as denominator,
        null as forced_status,
        case when senco_designated = 'Y' then 'is' else 'is not' end as detail
    from schools_with_budget

    union all

    select
        urn,
        academic_year,
        term,
        'senco_qualified_teacher' as check_id,
        case when senco_qualified_teacher = 'Y' then 1 else 0 end as value,
        null as numerator,
        null as denominator,
        case when senco_designated = 'N' then 'not_applicable' end as forced_status,
        case when senco_qualified_teacher = 'Y' then 'is' else 'is not' end as detail
    from schools_with_budget

    union all

    select
        urn,
        academic_year,
        term,
        'senco_award' as check_id,
        senco_months_in_post as value,
        null as numerator,
        null as denominator,
        case
            when senco_designated = 'N' then 'not_applicable'
            when senco_award = 'achieved' then 'green'
            when senco_appointed_date is null then 'red'
        end as forced_status,
        replace(senco_award, '_', ' ') as detail
    from schools_with_budget

    union all

    select
        urn,
        academic_year,
        term,
        'sen_information_report' as check_id,
        report_age_months as value,
        null as numerator,
        null as denominator,
        case
            when sen_information_report_url is null or sen_information_report_updated is null
                then 'red'
        end as forced_status,
        case
            when sen_information_report_url is null then 'is not published (no web address given)'
            when sen_information_report_updated is null then 'has no date of last update'
            else 'was last updated ' || report_age_months || ' months before the census'
        end as detail
    from schools_with_budget

    union all

    select
        urn,
        academic_year,
        term,
        'accessibility_plan' as check_id,
        plan_age_months as value,
        null as numerator,
        null as denominator,
        case when accessibility_plan_updated is null then 'red' end as forced_status,
        case
            when accessibility_plan_updated is null then 'has no date of last update'
            else 'was last updated ' || plan_age_months || ' months before the census'
        end as detail
    from schools_with_budget

    union all

    {{ rate_measure('parents_informed', 'parents_informed', 'register_pupils') }}

    union all

    {{ rate_measure('support_planned', 'support_planned', 'sen_support_pupils') }}

    union all

    {{ rate_measure('reviews_on_time', 'reviews_on_time', 'reviews_due') }}

    union all

    {{ rate_measure('parent_meetings', 'met_parents_three_times', 'on_register_a_year') }}

    union all

    {{ rate_measure('pupil_views', 'views_recorded', 'register_pupils') }}

    union all

    {{ rate_measure('specialists_agreed', 'specialist_agreed', 'with_specialist') }}

    union all

    -- amber from one pupil, red from a share of the register: both bands from the seed
    select
        schools_with_budget.urn,
        schools_with_budget.academic_year,
        schools_with_budget.term,
        'part_time_timetables' as check_id,
        schools_with_budget.part_time / nullif(schools_with_budget.register_pupils, 0) as value,
        schools_with_budget.part_time as numerator,
        schools_with_budget.register_pupils as denominator,
        case
            when coalesce(schools_with_budget.register_pupils, 0) = 0 then 'not_applicable'
            when
                schools_with_budget.part_time / schools_with_budget.register_pupils
                >= part_time_bands.red_at
                then 'red'
            when schools_with_budget.part_time >= part_time_bands.amber_at then 'amber'
            else 'green'
        end as forced_status,
        null as detail
    from schools_with_budget
    cross join part_time_bands

    union all

    select
        urn,
        academic_year,
        term,
        'identification_rate' as check_id,
        sen_support_pupils / nullif(number_on_roll, 0) / national_rate as value,
        sen_support_pupils as numerator,
        number_on_roll as denominator,
        null as forced_status,
        format('{:.1f}%', 100 * national_rate) as detail
    from schools_with_budget

    union all

    select
        urn,
        academic_year,
        term,
        'high_cost_no_ehc_request' as check_id,
        high_cost_no_request as value,
        high_cost_no_request as numerator,
        null as denominator,
        null as forced_status,
        null as detail
    from schools_with_budget

    union all

    select
        urn,
        academic_year,
        term,
        'notional_budget_use' as check_id,
        sen_spend_gbp / nullif(prorated_budget_gbp, 0) as value,
        sen_spend_gbp as numerator,
        prorated_budget_gbp as denominator,
        case when coalesce(prorated_budget_gbp, 0) = 0 then 'not_applicable' end as forced_status,
        null as detail
    from schools_with_budget

    union all

    -- judged on its counts, not as a rate: a school makes only a few requests a
    -- year, so low_numbers does not apply; amber needs enough parent requests
    select
        schools_with_budget.urn,
        schools_with_budget.academic_year,
        schools_with_budget.term,
        'parent_led_ehc_requests' as check_id,
        schools_with_budget.parent_requests
        / nullif(schools_with_budget.ehc_requests, 0) as value,
        schools_with_budget.parent_requests as numerator,
        schools_with_budget.ehc_requests as denominator,
        case
            when coalesce(schools_with_budget.ehc_requests, 0) = 0 then 'not_applicable'
            when
                schools_with_budget.parent_requests >= {{ var('parent_requests_at_least') }}
                and schools_with_budget.parent_requests / schools_with_budget.ehc_requests
                >= parent_request_bands.amber_at
                then 'amber'
            else 'green'
        end as forced_status,
        null as detail
    from schools_with_budget
    cross join parent_request_bands
),

return_measures as (
    select
        urn,
        academic_year,
        term,
        'return_received' as check_id,
        null as numerator,
        null as denominator,
        case return_status when 'late' then 1 when 'missing' then 2 else 0 end as value,
        case when return_status = 'not_yet_due' then 'not_applicable' end as forced_status,
        case return_status
            when 'on_time'
                then
                    'A valid return was received by the deadline of '
                    || strftime(deadline, '%-d %B %Y') || '.'
            when 'late'
                then
                    'The first valid return was received on '
                    || strftime(timezone('Europe/London', first_received_at), '%-d %B %Y')
                    || ', after the deadline of '
                    || strftime(deadline, '%-d %B %Y') || '.'
            when 'missing'
                then
                    'No valid return was received; it was due by '
                    || strftime(deadline, '%-d %B %Y') || '.'
            else 'The return is not due until ' || strftime(deadline, '%-d %B %Y') || '.'
        end as detail
    from school_term_returns
),

unioned_measures as (
    -- the return measures list their columns in another order: union them by name
    select * from measures
    union all by name
    select * from return_measures
),

all_measures as (
    select
        urn,
        academic_year,
        term,
        check_id,
        cast(value as double) as value,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator,
        cast(forced_status as varchar) as forced_status,
        cast(detail as varchar) as detail
    from unioned_measures
)

-- every check for every school and term, measured or not (no return: no measures)
select
    school_term_returns.urn,
    school_term_returns.academic_year,
    school_term_returns.term,
    duty_checks.check_id,
    all_measures.value,
    all_measures.numerator,
    all_measures.denominator,
    all_measures.forced_status,
    all_measures.detail,
    duty_checks.strength,
    duty_checks.paragraph,
    duty_checks.measure,
    duty_checks.direction,
    duty_checks.amber_at,
    duty_checks.red_at,
    duty_checks.amber_high_at,
    duty_checks.red_high_at,
    duty_checks.counts_people,
    duty_checks.evidence_template,
    duty_checks.not_applicable_text,
    school_term_returns.submission_in_force is not null as has_return
from school_term_returns
cross join duty_checks
left join all_measures
    on
        school_term_returns.urn = all_measures.urn
        and school_term_returns.academic_year = all_measures.academic_year
        and school_term_returns.term = all_measures.term
        and duty_checks.check_id = all_measures.check_id
