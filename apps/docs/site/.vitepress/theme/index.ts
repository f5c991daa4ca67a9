// The default theme, with the few styles the pictures and charts need.
import DefaultTheme from 'vitepress/theme';
import './custom.css';

export default DefaultTheme;
