{% macro rate_measure(check_id, numerator, denominator, relation='schools_with_budget') -%}
    {#- One check measured as a share of pupils: numerator over denominator. -#}
    select
        urn,
        academic_year,
        term,
        '{{ check_id }}' as check_id,
        {{ numerator }} / nullif({{ denominator }}, 0) as value,
        {{ numerator }} as numerator,
        {{ denominator }} as denominator,
        null as forced_status,
        null as detail
    from {{ relation }}
{%- endmacro %}
