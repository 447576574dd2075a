-- What each check of duties-v1 measures, per school and term with a return in
-- force: value, numerator, denominator, and a detail for the evidence sentence.
-- forced_status is set only where a check's own rule decides before its bands.
with returns_in_force as (
    select * from {{ ref('int_returns_in_force') }}
),

pupil_facts as (
    select * from {{ ref('int_pupil_term_facts') }}
),

school_terms as (
    select * from {{ ref('int_school_terms') }}
),

national_rates as (
    select * from {{ ref('stg_reference__national_sen_support_rates') }}
),

duty_checks as (
    select * from {{ ref('stg_reference__duty_checks') }}
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
            and provision_cost_gbp > {{ var('high_cost_gbp') }}
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
        national_rates.sen_support_rate as national_rate,
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
    left join national_rates
        on returns_in_force.phase = national_rates.phase
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

    {{ rate_measure('parent_led_ehc_requests', 'parent_requests', 'ehc_requests') }}
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
                    || strftime(first_received_at, '%-d %B %Y') || ', after the deadline of '
                    || strftime(deadline, '%-d %B %Y') || '.'
            when 'missing'
                then
                    'No valid return was received; it was due by '
                    || strftime(deadline, '%-d %B %Y') || '.'
            else 'The return is not due until ' || strftime(deadline, '%-d %B %Y') || '.'
        end as detail
    from school_terms
)

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
from measures

union all

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
from return_measures
