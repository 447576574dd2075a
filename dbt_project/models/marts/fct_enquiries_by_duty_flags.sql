-- One row per term and enquiry theme (and 'all' themes): SENDIASS enquiries per 100
-- pupils on SEN support at schools whose return has a red must or should duty,
-- against the other schools with a return, the ratio of the two rates and its 95%
-- confidence interval (log method, Poisson counts): do enquiries concentrate where
-- the returns say duties may not be met?
with schools as (
    select * from {{ ref('fct_school_term_status') }}
),

enquiries as (
    select * from {{ ref('fct_enquiries') }}
),

theme_words as (
    select * from {{ ref('stg_reference__enquiry_themes') }}
),

judged_schools as (
    -- the schools a rate can be taken over (as fct_school_enquiry_rates takes the
    -- LA's): a return that counts enough pupils on SEN support (is_rated)
    select
        urn,
        academic_year,
        term,
        sen_support_pupils,
        duties_red > 0 as has_red_duty
    from schools
    where {{ is_rated('sen_support_pupils') }}
),

themes as (
    select distinct theme from enquiries
    union all
    select 'all' as theme
),

school_theme_enquiries as (
    -- one row per school and theme, its enquiries counted
    select
        judged_schools.urn,
        judged_schools.academic_year,
        judged_schools.term,
        themes.theme,
        judged_schools.has_red_duty,
        judged_schools.sen_support_pupils,
        count(enquiries.enquiry_ref) as enquiries
    from judged_schools
    cross join themes
    left join enquiries
        on
            judged_schools.urn = enquiries.urn
            and judged_schools.academic_year = enquiries.academic_year
            and judged_schools.term = enquiries.term
            and (themes.theme = 'all' or themes.theme = enquiries.theme)
    group by all
),

groups as (
    select
        academic_year,
        term,
        theme,
        count(*) filter (where has_red_duty) as schools_red,
        count(*) filter (where not has_red_duty) as schools_other,
        coalesce(sum(enquiries) filter (where has_red_duty), 0) as enquiries_red,
        coalesce(sum(enquiries) filter (where not has_red_duty), 0) as enquiries_other,
        sum(sen_support_pupils) filter (where has_red_duty) as pupils_red,
        sum(sen_support_pupils) filter (where not has_red_duty) as pupils_other
    from school_theme_enquiries
    group by academic_year, term, theme
),

rates as (
    select
        *,
        enquiries_red / nullif(pupils_red, 0) as rate_red,
        enquiries_other / nullif(pupils_other, 0) as rate_other,
        -- the standard error of the log of the ratio: needs an enquiry on each side
        case
            when enquiries_red > 0 and enquiries_other > 0
                then sqrt(1.0 / enquiries_red + 1.0 / enquiries_other)
        end as log_ratio_error
    from groups
)

select
    rates.academic_year,
    rates.term,
    rates.theme,
    rates.schools_red,
    rates.schools_other,
    rates.enquiries_red,
    rates.enquiries_other,
    rates.pupils_red,
    rates.pupils_other,
    coalesce(theme_words.theme_label, rates.theme) as theme_label,
    100 * rates.rate_red as enquiries_per_100_red,
    100 * rates.rate_other as enquiries_per_100_other,
    rates.rate_red / nullif(rates.rate_other, 0) as rate_ratio,
    case
        when rates.log_ratio_error is not null
            then exp(
                ln(rates.rate_red / rates.rate_other) - {{ var('z_95') }} * rates.log_ratio_error
            )
    end as rate_ratio_lower_95,
    case
        when rates.log_ratio_error is not null
            then exp(
                ln(rates.rate_red / rates.rate_other) + {{ var('z_95') }} * rates.log_ratio_error
            )
    end as rate_ratio_upper_95
from rates
left join theme_words
    on rates.theme = theme_words.theme
